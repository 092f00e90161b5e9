/** Shared setup for the mTLS identity tests: a profile with one mtls tenant (acme) and a request that reports its connection. */
import { type Agent, request } from 'node:https';
import type { CertFiles } from './certs.js';

/**
 * A profile serving TLS with `server`, trusting client certificates from `clientCa` (a PEM file's path), one mock
 * model and the tenant acme named by its certificate's subject. `extra` is YAML lines put after the tls line.
 */
export const acmeMtlsProfile = (server: CertFiles, clientCa: string, extra = '') => `
version: 1
tls: { cert: "${server.cert}", key: "${server.key}", clientCa: "${clientCa}" }
${extra}backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  llama: { targets: [{ backend: vllm }] }
tenants:
  acme: { mtls: { subject: "CN=acme-gw, O=Acme" } }
`;

export interface ConnectionAnswer {
  status: number;
  body: string;
  /** The client side's port: the same port is the same connection. */
  port: number;
}

/** GET `${url}/v1/models` through `agent` (kept alive: one connection, reused while the gateway keeps it open). */
export function getModelsOn(
  url: string,
  agent: Agent,
  tls: { ca: string | string[]; cert: string; key: string },
): Promise<ConnectionAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/models`, { agent, ...tls }, (res) => {
      let body = '';
      // Read now: at the end the socket is back in the agent's pool.
      const port = res.socket.localPort!;
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, port }));
    });
    req.on('error', reject);
    req.end();
  });
}
