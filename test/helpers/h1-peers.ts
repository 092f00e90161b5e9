/**
 * The two ends an HTTP/1.1 client test needs: a handler that collects what a pool hands it (as relay/exchange.ts
 * receives it: each event in order, the body as Latin-1 text), and a raw backend on 127.0.0.1 that calls
 * `answer(n, socket, request)` for the n-th request it reads whole (its text) (across connections), counting its connections.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';

export interface Collected {
  status?: number;
  body: string;
  error?: Error & { code?: string };
  ends: number;
  errs: number;
  /** `start200`, `data:…`, `end`, `error:…` as they came. */
  order: string[];
}

export function collect(hooks: Partial<Dispatcher.DispatchHandler> = {}) {
  const a: Collected = { body: '', ends: 0, errs: 0, order: [] };
  let resolve!: (a: Collected) => void;
  const done = new Promise<Collected>((r) => (resolve = r));
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart: (c, ctx) => hooks.onRequestStart?.(c, ctx),
    onResponseStart(c, status, headers, msg) {
      a.order.push(`start${status}`);
      if (status >= 200) a.status = status;
      hooks.onResponseStart?.(c, status, headers, msg);
    },
    onResponseData(c, chunk) {
      a.order.push(`data:${chunk.toString('latin1')}`);
      a.body += chunk.toString('latin1');
      hooks.onResponseData?.(c, chunk);
    },
    onResponseEnd(c, t) {
      a.ends++;
      a.order.push('end');
      hooks.onResponseEnd?.(c, t);
      resolve(a);
    },
    onResponseError(c, err) {
      a.errs++;
      a.order.push(`error:${err.message}`);
      a.error = err;
      hooks.onResponseError?.(c, err);
      resolve(a);
    },
  };
  return { handler, done, a };
}

const servers: Server[] = [];

/** `readBody: false`: answers as soon as a head is read, the body left unread. */
export async function backend(
  answer: (n: number, s: Socket, request: string) => void,
  opts: { readBody?: boolean } = {},
): Promise<{ url: string; conns: () => number }> {
  let n = 0;
  let conns = 0;
  const server = createServer((s) => {
    conns++;
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (opts.readBody === false) {
          const head = buf.slice(0, end + 4);
          buf = '';
          answer(n++, s, head);
          return;
        }
        if (buf.length < end + 4 + len) return;
        const request = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        answer(n++, s, request);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, conns: () => conns };
}

/** For afterAll: every backend this file started. */
export function closeBackends(): void {
  for (const s of servers.splice(0)) s.close();
}

/** A 200 with `body`, framed by its length. */
export const OK = (body: string) => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
/** A 200 whose body is `parts`, one chunk each. */
export const chunked = (...parts: string[]) =>
  `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
export const REQ = { path: '/v1/x', method: 'POST', headers: ['content-type', 'application/json'], body: '{}' };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
