/** Starting a node:http server on host:port (port 0 picks a free one) and naming where it really listens. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

/**
 * Resolves with `http://HOST:PORT` (or `https://` for a TLS server) once the server accepts connections.
 * `backlog` is how many connections the kernel queues before they are accepted (Node's default is 511).
 */
export async function listenOn(
  server: Server,
  host: string,
  port: number,
  scheme: 'http' | 'https' = 'http',
  backlog?: number,
): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ...(backlog !== undefined ? { backlog } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * node:http options that bound how long a request's head and body may take to arrive. Node checks these
 * deadlines every `connectionsCheckingInterval` (30 s by default), which also bounds how late a cut comes.
 */
export function requestDeadlines(timeoutMs: number): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return { headersTimeout: timeoutMs, requestTimeout: timeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, timeoutMs / 2)) };
}
