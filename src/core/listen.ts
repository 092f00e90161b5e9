/** Starting a node:http server on host:port (port 0 picks a free one) and naming where it really listens. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timerDelay } from './timer-delay.js';

/** HOST:PORT as the profile takes it: a name or IPv4 address, or an IPv6 one in brackets, and a port of 1 to 5 digits. */
/** The largest port Node listens on. */
export const MAX_PORT = 65535;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * What `hp` should have been, when it is not an address a server can listen on (`expects …` / `expected …` before
 * it), else undefined; the CLI's flags and the profile's fields read it alike. splitHostPort reads anything: `8080` as host
 * "808" and port 8080, `localhost:http` as port NaN, and Node takes no port past 65535.
 */
export function hostPortProblem(hp: string): string | undefined {
  const m = HOST_PORT.exec(hp);
  if (!m) return 'HOST:PORT, such as 127.0.0.1:8080 (port 0 picks a free port)';
  if (Number(m[2]) > MAX_PORT) return `HOST:PORT with a port of at most ${MAX_PORT} (port 0 picks a free port)`;
  return undefined;
}

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
  const url = `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  keepAccepting(server, url);
  return url;
}

/** How often a listener whose accepts fail says so: while they do, they fail at every turn of the loop. */
const ACCEPT_FAILURE_EVERY_MS = 10_000;

/**
 * Once listening, an 'error' a server emits is an accept that failed, and Node goes on listening after it. libuv
 * answers EMFILE itself (it frees a reserve descriptor, accepts and closes what waits), but not when that reserve is
 * gone — another thread took the descriptor it freed for a moment — nor ENFILE, ENOBUFS or a network error the kernel
 * hands over with a pending connection: those come to Node's onconnection, which emits them on the server. With nobody
 * listening, that took the process down, every request in flight with it (`Error: accept EMFILE … at TCP.onconnection`,
 * parse-server#6716). Said on stderr instead, once per ACCEPT_FAILURE_EVERY_MS, with how many failed meanwhile.
 */
function keepAccepting(server: Server, url: string): void {
  let saidAt = Number.NEGATIVE_INFINITY;
  let unsaid = 0;
  server.on('error', (e: NodeJS.ErrnoException) => {
    unsaid++;
    const now = performance.now();
    if (now - saidAt < ACCEPT_FAILURE_EVERY_MS) return;
    saidAt = now;
    const code = e.code ?? String(e.message).slice(0, 100);
    const hint = code === 'EMFILE' || code === 'ENFILE' ? ' (out of file descriptors: raise `ulimit -n`)' : '';
    process.stderr.write(`aigw: ${url} failed to accept ${unsaid} connection(s): ${code}${hint}\n`);
    unsaid = 0;
  });
}

/**
 * node:http options that bound how long a request's head and body may take to arrive. Node checks these
 * deadlines every `connectionsCheckingInterval` (30 s by default), which also bounds how late a cut comes. Whole
 * milliseconds, rounded up: createServer throws at any other (a profile's `30000.5ms` or `1500us` validated, then
 * `serve` exited 1 as it built the admin listener). Every listener reads them here: the gateway's, the admin's, the mocks'.
 */
export function requestDeadlines(timeoutMs: number): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  // At most Node's timer bound: its deadline check reads them as 32-bit unsigned integers (2^32 + 300 ms was 300 ms).
  const ms = timerDelay(Math.ceil(timeoutMs));
  // 0 is no request deadline (a long upload), not none for the head: Node's own 60 s then — at 0 a client trickling
  // header bytes held a connection until the connection cap (no 408).
  const head = ms || 60_000;
  return { headersTimeout: head, requestTimeout: ms, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.ceil(head / 2))) };
}
