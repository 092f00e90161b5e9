/** Starting a node:http server on host:port (port 0 picks a free one) and naming where it really listens. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

/** Resolves with `http://HOST:PORT` (or `https://` for a TLS server) once the server accepts connections. */
export async function listenOn(server: Server, host: string, port: number, scheme: 'http' | 'https' = 'http'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}
