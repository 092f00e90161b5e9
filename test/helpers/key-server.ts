/**
 * An identity provider's key server (JWKS) on 127.0.0.1 that a test steers: the set it serves (`doc`), its status, how
 * long it takes to answer; every fetch counted.
 */
import { useServer } from './upstream.js';

export interface KeyServer {
  doc: string;
  status: number;
  delayMs: number;
  fetches: number;
}

export async function useKeyServer(doc: object, path = '/jwks.json'): Promise<{ url: string; idp: KeyServer }> {
  const idp: KeyServer = { doc: JSON.stringify(doc), status: 200, delayMs: 0, fetches: 0 };
  const base = await useServer((_req, res) => {
    idp.fetches++;
    const { doc: body, status } = idp;
    const answer = () => res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? body : '{}');
    if (idp.delayMs > 0) setTimeout(answer, idp.delayMs);
    else answer();
  });
  return { url: `${base}${path}`, idp };
}
