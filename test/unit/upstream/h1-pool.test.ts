/**
 * The gateway's own HTTP/1.1 client (upstream/h1-pool.ts), judged against undici's Pool, which it replaced: the same
 * answers read the same — status, headers, body — and the same hostile ones refused, for random answers written in
 * random pieces by a backend on a real socket (a differential property test). Then what it keeps of undici's
 * behaviour on purpose: keep-alive, the backend's Keep-Alive hint, a head due by a deadline, idle sockets.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import type { Dispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { H1Pool, type H1PoolOptions } from '../../../src/upstream/h1-pool.js';
import { parsersLent } from '../../../src/upstream/h1-parser.js';
import { collect as collectWith } from '../../helpers/h1-peers.js';
import { opensslAvailable, useCerts } from '../../helpers/certs.js';
import { Pool } from 'undici';

interface Answer {
  status?: number;
  informational: number[];
  headers?: IncomingHttpHeaders;
  body: Buffer;
  error?: Error & { code?: string };
}

/** A handler that collects the answer, as relay/exchange.ts receives it. */
function collect(): { handler: Dispatcher.DispatchHandler; done: Promise<Answer>; controller: () => Dispatcher.DispatchController } {
  const a: Answer = { informational: [], body: Buffer.alloc(0) };
  const chunks: Buffer[] = [];
  let ctrl: Dispatcher.DispatchController | undefined;
  let resolve!: (a: Answer) => void;
  const done = new Promise<Answer>((r) => (resolve = r));
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      ctrl = c;
    },
    onResponseStart(c, status, headers) {
      ctrl = c;
      if (status < 200) return void a.informational.push(status);
      a.status = status;
      a.headers = { ...headers };
    },
    onResponseData(_c, chunk) {
      chunks.push(Buffer.from(chunk));
    },
    onResponseEnd() {
      a.body = Buffer.concat(chunks);
      resolve(a);
    },
    onResponseError(_c, err) {
      a.body = Buffer.concat(chunks);
      a.error = err;
      resolve(a);
    },
  };
  return { handler, done, controller: () => ctrl! };
}

/** A backend that answers each request with the next script: pieces written one loop turn apart, then maybe a close. */
interface Script {
  pieces: Buffer[];
  close: boolean;
}
const servers: Server[] = [];
async function backend(
  next: () => Script | undefined,
  onSocket?: (s: Socket) => void,
): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((sock) => {
    connections++;
    onSocket?.(sock);
    let buf = Buffer.alloc(0);
    sock.on('error', () => {});
    sock.on('data', async (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buf.toString('latin1', 0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        const script = next();
        if (!script) return void sock.destroy();
        for (const p of script.pieces) {
          if (sock.destroyed) return;
          sock.write(p);
          await new Promise((r) => setImmediate(r));
        }
        if (script.close) sock.end();
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, connections: () => connections };
}
afterAll(() => {
  for (const s of servers) s.close();
});

const OPTIONS: H1PoolOptions = { connections: 4, keepAliveTimeout: 4000, headersTimeout: 5000, bodyTimeout: 5000, connectTimeout: 5000 };
const REQUEST = { path: '/v1/chat/completions', method: 'POST', headers: ['content-type', 'application/json'], body: '{"model":"m"}' };

function viaH1(url: string, o: Partial<H1PoolOptions> = {}): { pool: H1Pool; send: () => Promise<Answer> } {
  const pool = new H1Pool(url, { ...OPTIONS, ...o });
  return {
    pool,
    send: () => {
      const c = collect();
      pool.dispatch({ ...REQUEST }, c.handler);
      return c.done;
    },
  };
}

function viaUndici(url: string): { pool: InstanceType<typeof Pool>; send: () => Promise<Answer> } {
  const pool = new Pool(url, { connections: 4, pipelining: 1, keepAliveTimeout: 4000, headersTimeout: 5000, bodyTimeout: 5000 });
  return {
    pool,
    send: () => {
      const c = collect();
      pool.dispatch({ ...REQUEST, headers: [...REQUEST.headers] }, c.handler);
      return c.done;
    },
  };
}

// ---- random answers ----

const NAMES = ['x-a', 'X-A', 'x-b', 'content-type', 'set-cookie', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'Retry-After'];
const headerValue = fc.stringMatching(/^[\x21-\x7e\xa0-\xff]([\x20-\x7e\xa0-\xff]{0,14}[\x21-\x7e\xa0-\xff])?$/);
const headerList = fc.array(fc.tuple(fc.constantFrom(...NAMES), headerValue), { maxLength: 6 });
const body = fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b));
type Framing = 'length' | 'chunked' | 'close';

interface Wire {
  status: number;
  headers: [string, string][];
  body: Buffer;
  framing: Framing;
  /** Chunk sizes for chunked framing (cycled). */
  sizes: number[];
  /** Each chunk's extension ('' for none; cycled). */
  extensions: string[];
  /** How chunk sizes are spelt. */
  hex: 'lower' | 'upper' | 'zeros';
  /** The trailer section's lines. */
  trailer: string;
}
const wire = fc.record({
  status: fc.constantFrom(200, 201, 400, 404, 429, 500, 503),
  headers: headerList,
  body,
  framing: fc.constantFrom<Framing>('length', 'chunked', 'close'),
  sizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }),
  extensions: fc.array(fc.constantFrom('', '', ';ext=1', ';a', ';q="x y"', ';a=1;b=two'), { minLength: 1, maxLength: 4 }),
  hex: fc.constantFrom<Wire['hex']>('lower', 'upper', 'zeros'),
  trailer: fc.constantFrom('', 'x-trailer: t\r\n', 'x-a: 1\r\nX-B: two words\r\n'),
});

/** An answer's bytes in their parts: its head, its body or each chunk's size line, data and CRLF, its last chunk. */
type Part = { kind: 'head' | 'body' | 'size' | 'data' | 'crlf' | 'last'; text: Buffer };

function partsOf(w: Wire): Part[] {
  let head = `HTTP/1.1 ${w.status} X\r\n`;
  for (const [k, v] of w.headers) head += `${k}: ${v}\r\n`;
  if (w.framing === 'length') head += `content-length: ${w.body.length}\r\n`;
  if (w.framing === 'chunked') head += 'transfer-encoding: chunked\r\n';
  if (w.framing === 'close') head += 'connection: close\r\n';
  const parts: Part[] = [{ kind: 'head', text: Buffer.from(`${head}\r\n`, 'latin1') }];
  if (w.framing !== 'chunked') parts.push({ kind: 'body', text: w.body });
  else {
    const spelt = (n: number) =>
      w.hex === 'upper' ? n.toString(16).toUpperCase() : w.hex === 'zeros' ? `000${n.toString(16)}` : n.toString(16);
    for (let at = 0, i = 0; at < w.body.length; i++) {
      const n = Math.min(w.sizes[i % w.sizes.length]!, w.body.length - at);
      const ext = w.extensions[i % w.extensions.length]!;
      parts.push(
        { kind: 'size', text: Buffer.from(`${spelt(n)}${ext}\r\n`) },
        { kind: 'data', text: w.body.subarray(at, at + n) },
        { kind: 'crlf', text: Buffer.from('\r\n') },
      );
      at += n;
    }
    parts.push({ kind: 'last', text: Buffer.from(`${w.hex === 'zeros' ? '000' : '0'}\r\n${w.trailer}\r\n`) });
  }
  return parts;
}

const bytesOf = (w: Wire): Buffer => Buffer.concat(partsOf(w).map((p) => p.text));

/** The answer with the `n`th part of `kind` (the last one when there are fewer) rewritten; unchanged when it has none. */
function withPart(w: Wire, kind: Part['kind'], n: number, edit: (text: string) => string): Buffer {
  const parts = partsOf(w);
  const of = parts.filter((p) => p.kind === kind);
  const p = of[Math.min(n, of.length - 1)];
  if (p) p.text = Buffer.from(edit(p.text.toString('latin1')), 'latin1');
  return Buffer.concat(parts.map((q) => q.text));
}

/** The answer's bytes cut at random places. */
function cut(all: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, all.length]) {
    if (c > from) out.push(all.subarray(from, c));
    from = c;
  }
  return out;
}

/** Hostile edits of a well-formed answer: each makes it one no client should read as whole. */
const MUTATIONS: [string, (b: Buffer, w: Wire) => Buffer][] = [
  [
    'a length past the body (cut short, then closed)',
    (b, w) =>
      w.framing === 'length'
        ? Buffer.from(b.toString('latin1').replace(/content-length: \d+/, `content-length: ${w.body.length + 5}`), 'latin1')
        : b,
  ],
  [
    'a chunk size that is not hex',
    (b, w) => (w.framing === 'chunked' ? Buffer.from(b.toString('latin1').replace(/\r\n\r\n[0-9a-f]+/, '\r\n\r\nzz'), 'latin1') : b),
  ],
  ['a chunked answer without its last chunk', (b, w) => (w.framing === 'chunked' ? b.subarray(0, b.lastIndexOf('0\r\n')) : b)],
  // Chunk-size lines after the first, where a reader that takes the plain ones itself hands the rest to llhttp.
  ['a later chunk size that is not hex', (_b, w) => withPart(w, 'size', 1, () => 'zz\r\n')],
  ['a space after a later chunk size', (_b, w) => withPart(w, 'size', 1, (t) => t.replace('\r\n', ' \r\n'))],
  ['a later chunk size ended by CR alone', (_b, w) => withPart(w, 'size', 1, (t) => t.replace('\r\n', '\r'))],
  ['a later chunk size ended by LF alone', (_b, w) => withPart(w, 'size', 1, (t) => t.replace('\r\n', '\n'))],
  ['a later chunk size past 2^64', (_b, w) => withPart(w, 'size', 1, () => `1${'0'.repeat(16)}\r\n`)],
  ['an empty chunk extension', (_b, w) => withPart(w, 'size', 1, (t) => t.replace('\r\n', ';\r\n'))],
  ["a chunk's data not ended by CRLF", (_b, w) => withPart(w, 'crlf', 0, () => 'xy')],
  ["a chunk's data ended by LF alone", (_b, w) => withPart(w, 'crlf', 1, () => '\n')],
  ['a trailer that is not a header line', (_b, w) => withPart(w, 'last', 0, (t) => t.replace(/\r\n/, '\r\nno colon here\r\n'))],
  ['a header line folded (obs-fold)', (b) => Buffer.from(b.toString('latin1').replace('\r\n', '\r\nx-fold: a\r\n b\r\n'), 'latin1')],
  ['a space before the colon', (b) => Buffer.from(b.toString('latin1').replace('\r\n', '\r\nx-sp : a\r\n'), 'latin1')],
  ['a NUL in a header value', (b) => Buffer.from(b.toString('latin1').replace('\r\n', '\r\nx-nul: a\0b\r\n'), 'latin1')],
  [
    'two different content-lengths',
    (b) => Buffer.from(b.toString('latin1').replace('\r\n', '\r\ncontent-length: 1\r\ncontent-length: 2\r\n'), 'latin1'),
  ],
  ['not a status line', (b) => Buffer.concat([Buffer.from('HTTX/1.1 200 OK\r\n'), b.subarray(b.indexOf('\r\n') + 2)])],
];

describe('h1-pool reads what undici reads (differential, real sockets)', () => {
  it('random answers, framed by length, chunks or close, written in random pieces: the same status, headers and body', async () => {
    let script: Script | undefined;
    const up = await backend(() => script);
    const h1 = viaH1(up.url);
    const ud = viaUndici(up.url);
    await fc.assert(
      fc.asyncProperty(wire, fc.array(fc.nat(), { maxLength: 10 }), async (w, cuts) => {
        const pieces = cut(bytesOf(w), cuts);
        script = { pieces, close: w.framing === 'close' };
        const mine = await h1.send();
        script = { pieces, close: w.framing === 'close' };
        const theirs = await ud.send();
        expect(mine.error).toBeUndefined();
        expect(theirs.error).toBeUndefined();
        expect(mine.status).toBe(theirs.status);
        expect(mine.headers).toEqual(theirs.headers);
        expect(mine.body.equals(theirs.body)).toBe(true);
        expect(mine.body.equals(w.body)).toBe(true);
      }),
      { numRuns: 150 },
    );
    await Promise.all([h1.pool.close(), ud.pool.close()]);
  });

  it.each(MUTATIONS)('%s: refused by both, never an answer taken as whole', async (_name, mutate) => {
    let script: Script | undefined;
    const up = await backend(() => script);
    const h1 = viaH1(up.url);
    const ud = viaUndici(up.url);
    await fc.assert(
      fc.asyncProperty(wire, fc.array(fc.nat(), { maxLength: 4 }), async (w, cuts) => {
        const all = bytesOf(w);
        const bad = mutate(all, w);
        fc.pre(!bad.equals(all));
        const pieces = cut(bad, cuts);
        // Closed after: an answer that waits for more bytes ends, and is not held to a timeout.
        script = { pieces, close: true };
        const mine = await h1.send();
        script = { pieces, close: true };
        const theirs = await ud.send();
        expect(mine.error !== undefined).toBe(theirs.error !== undefined);
        expect(mine.error).toBeDefined();
      }),
      { numRuns: 25 },
    );
    await Promise.all([h1.pool.close(), ud.pool.close()]);
  });
});

describe('h1-pool: connections', () => {
  const ok = (close = false): Script => ({
    pieces: [Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\n${close ? 'connection: close\r\n' : ''}\r\nok`)],
    close,
  });

  it('one connection serves request after request (keep-alive); a `connection: close` answer closes it', async () => {
    const up = await backend(() => ok());
    const h1 = viaH1(up.url);
    for (let i = 0; i < 5; i++) expect((await h1.send()).body.toString()).toBe('ok');
    expect(up.connections()).toBe(1);
    const closing = await backend(() => ok(true));
    const h2 = viaH1(closing.url);
    for (let i = 0; i < 3; i++) expect((await h2.send()).body.toString()).toBe('ok');
    expect(closing.connections()).toBe(3);
    await Promise.all([h1.pool.close(), h2.pool.close()]);
  });

  it('streams held open past their heads hold no parser (llhttp reads heads; plain chunks are read without it)', async () => {
    const sockets: Socket[] = [];
    const up = await backend(
      () => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n')], close: false }),
      (s) => sockets.push(s),
    );
    const pool = new H1Pool(up.url, { ...OPTIONS, connections: 20 });
    // Counted from here: another test's connection may still be closing.
    const before = parsersLent();
    const firsts: Promise<void>[] = [];
    const ends: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      let first!: () => void;
      firsts.push(new Promise((r) => (first = r)));
      const c = collectWith({ onResponseData: () => first() });
      pool.dispatch({ ...REQUEST }, c.handler);
      ends.push(c.done.then(() => undefined));
    }
    await Promise.all(firsts);
    const lentWhileHeld = parsersLent();
    // A chunk with an extension is llhttp's to read: that stream holds one until its answer ends.
    sockets[0]!.write('3;x=y\r\nmid\r\n');
    await new Promise((r) => setTimeout(r, 30));
    const lentAfterExtension = parsersLent();
    for (const s of sockets) s.write('0\r\n\r\n');
    await Promise.all(ends);
    expect([lentWhileHeld, lentAfterExtension, parsersLent()]).toEqual([before, before + 1, before]);
    await pool.close();
  });

  it('bytes a backend sends on an idle connection (an answer nobody asked for) close it: the next request gets a new one', async () => {
    const sockets: Socket[] = [];
    const up = await backend(
      () => ok(),
      (s) => sockets.push(s),
    );
    const h1 = viaH1(up.url);
    expect((await h1.send()).body.toString()).toBe('ok');
    sockets[0]!.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nforged');
    // The pool closes the connection it came on (a pool that did not would hand it to the next request).
    await once(sockets[0]!, 'close');
    const next = await h1.send();
    expect(next.body.toString()).toBe('ok');
    expect(up.connections()).toBe(2);
    await h1.pool.close();
  });

  it("the backend's `Keep-Alive: timeout=2` closes the idle connection a second early, before the backend would", async () => {
    const sockets: Socket[] = [];
    const up = await backend(
      () => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=2\r\n\r\nok')], close: false }),
      (s) => sockets.push(s),
    );
    const h1 = viaH1(up.url, { keepAliveTimeout: 60_000 });
    await h1.send();
    const closed = new Promise<number>((r) => {
      const t0 = performance.now();
      sockets[0]!.on('close', () => r(performance.now() - t0));
    });
    // ~1 s (the hint less a second), far from the pool's own 60 s.
    expect(await closed).toBeLessThan(10_000);
    await h1.pool.close();
  });

  // A connection's one timer stays armed for the first wait's deadline while later, longer waits come and go, and
  // is armed again for what is left when it fires: these two cases fail if it acts on a stale deadline either way.
  it('a connection in use keeps living past the keep-alive its first idle spell armed; idle, it closes after it', async () => {
    const sockets: Socket[] = [];
    const up = await backend(
      () => ok(),
      (s) => sockets.push(s),
    );
    const h1 = viaH1(up.url, { keepAliveTimeout: 1000 });
    // 3 s of requests 50 ms apart: every idle spell a twentieth of the keep-alive, the first spell's deadline long past.
    const t0 = performance.now();
    while (performance.now() - t0 < 3000) {
      expect((await h1.send()).body.toString()).toBe('ok');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(up.connections()).toBe(1);
    const idleFor = new Promise<number>((r) => {
      const t1 = performance.now();
      sockets[0]!.on('close', () => r(performance.now() - t1));
    });
    expect(await idleFor).toBeLessThan(10_000);
    await h1.pool.close();
  });

  it('requests refused on an idle connection (a path that would split the request line) do not restart its idle time', async () => {
    const sockets: Socket[] = [];
    const up = await backend(
      () => ok(),
      (s) => sockets.push(s),
    );
    const h1 = viaH1(up.url, { keepAliveTimeout: 300 });
    expect((await h1.send()).body.toString()).toBe('ok');
    const answeredAt = performance.now();
    let closedAt = 0;
    sockets[0]!.on('close', () => (closedAt = performance.now()));
    // One refused every 100 ms for 3 s: each restarting the 300 ms would keep it open throughout (an attacker review).
    while (!closedAt && performance.now() - answeredAt < 3000) {
      const c = collect();
      h1.pool.dispatch({ ...REQUEST, path: '/a b' }, c.handler);
      expect((await c.done).error?.code).toBe('UND_ERR_INVALID_ARG');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(closedAt, 'the idle connection was never closed').toBeGreaterThan(0);
    expect(closedAt - answeredAt).toBeLessThan(2500);
    await h1.pool.close();
  });

  it("a reused connection's head deadline, shorter than the keep-alive it was idle under, is kept", async () => {
    let answered = 0;
    const up = await backend(() => (answered++ === 0 ? ok() : { pieces: [], close: false }));
    const h1 = viaH1(up.url, { keepAliveTimeout: 60_000, headersTimeout: 300 });
    expect((await h1.send()).body.toString()).toBe('ok');
    const t0 = performance.now();
    const silent = await h1.send();
    expect(silent.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    // Due after 300 ms; the idle connection's timer stood at 60 s.
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(up.connections()).toBe(1);
    await h1.pool.close();
  });

  it('a head trickled a byte at a time is late at its deadline, however often a byte comes (undici: the same)', async () => {
    const head = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    let timer: NodeJS.Timeout | undefined;
    const up = await backend(
      () => ({ pieces: [], close: false }),
      (s) => {
        let i = 0;
        timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write(head.subarray(i, ++i))), 50);
      },
    );
    const h1 = viaH1(up.url, { headersTimeout: 300 });
    const t0 = performance.now();
    const a = await h1.send();
    clearInterval(timer);
    expect(a.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    // The whole head would take ~2 s a byte each 50 ms: cut within a second, not after it all came.
    expect(performance.now() - t0).toBeLessThan(1500);
    await h1.pool.close();
  });

  it('a body that goes silent fails at bodyTimeout — but not while the reader has paused it', async () => {
    const up = await backend(() => ({ pieces: [Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc')], close: false }));
    const h1 = viaH1(up.url, { bodyTimeout: 200 });
    const silent = await h1.send();
    expect(silent.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
    const c = collect();
    const pausing: Dispatcher.DispatchHandler = {
      ...c.handler,
      onResponseStart: (ctrl, s, h) => {
        c.handler.onResponseStart!(ctrl, s, h, '');
        ctrl.pause();
      },
    };
    h1.pool.dispatch({ ...REQUEST }, pausing);
    const settled = await Promise.race([c.done.then(() => 'ended'), new Promise((r) => setTimeout(() => r('waiting'), 600))]);
    expect(settled).toBe('waiting');
    c.controller().abort(Object.assign(new Error('gone'), { code: 'AIGW_CLIENT_GONE' }));
    expect((await c.done).error?.code).toBe('AIGW_CLIENT_GONE');
    await h1.pool.destroy();
  });

  it('a 100 Continue nobody asked for, a status under 100 and an upgrade are refused; a 102 is passed on and skipped', async () => {
    for (const [first, expected] of [
      ['HTTP/1.1 100 Continue\r\n\r\n', 'bad response'],
      // Three digits, as llhttp reads a status, but no status at all: read as a 1xx, its answer's body was taken for
      // the next answer's head.
      ['HTTP/1.1 050 Odd\r\ncontent-length: 0\r\n\r\n', 'bad response'],
      ['HTTP/1.1 000 Zero\r\n\r\n', 'bad response'],
      ['HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n', 'bad upgrade'],
    ] as const) {
      const up = await backend(() => ({
        pieces: [Buffer.from(first), Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')],
        close: false,
      }));
      const h1 = viaH1(up.url);
      const a = await h1.send();
      expect(a.error?.message).toBe(expected);
      expect(a.error?.code).toBe('UND_ERR_SOCKET');
      await h1.pool.close();
    }
    const up = await backend(() => ({
      pieces: [Buffer.from('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')],
      close: false,
    }));
    const h1 = viaH1(up.url);
    const a = await h1.send();
    expect(a.informational).toEqual([102]);
    expect(a.body.toString()).toBe('ok');
    await h1.pool.close();
  });

  it('a handler that throws while its answer is read: reported, that answer fails, the connection goes, the process lives', async () => {
    const up = await backend(() => ok());
    const pool = new H1Pool(up.url, OPTIONS);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const c = collect();
    pool.dispatch(
      { ...REQUEST },
      {
        ...c.handler,
        onResponseData: () => {
          throw new Error('handler bug');
        },
      },
    );
    expect((await c.done).error?.message).toBe('handler bug');
    const after = collect();
    pool.dispatch({ ...REQUEST }, after.handler);
    expect((await after.done).body.toString()).toBe('ok');
    expect(up.connections()).toBe(2);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings.some((w) => w.includes('handler bug'))).toBe(true);
    await pool.close();
  });

  it.skipIf(!opensslAvailable)(
    'https: the certificate checked against the CAs (the name or IP too), then request after request on one connection',
    async () => {
      const certs = useCerts();
      const server = createHttpsServer({ cert: readFileSync(certs.server.cert), key: readFileSync(certs.server.key) }, (req, res) => {
        req.resume();
        req.on('end', () => res.end(`ok ${req.socket.remotePort}`));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const trusted = viaH1(`https://127.0.0.1:${port}`, { ca: readFileSync(certs.ca.cert) });
      const a = await trusted.send();
      const b = await trusted.send();
      expect(a.status).toBe(200);
      expect(b.body.toString()).toBe(a.body.toString());
      // Node's own store does not know the test CA; another CA's certificate is not this server's.
      for (const o of [{}, { ca: readFileSync(certs.rogueCa.cert) }]) {
        const refused = await viaH1(`https://127.0.0.1:${port}`, o).send();
        expect(refused.error?.code).toMatch(/CERT|SIGNATURE|ISSUER/);
      }
      // By name: the name is what is checked (the certificate names localhost too).
      const byName = await viaH1(`https://localhost:${port}`, { ca: readFileSync(certs.ca.cert) }).send();
      expect(byName.status).toBe(200);
      await trusted.pool.close();
      server.close();
    },
  );

  it('a header value or a path that would split the request is refused before anything is sent', async () => {
    const up = await backend(() => ok());
    const pool = new H1Pool(up.url, OPTIONS);
    for (const req of [
      { ...REQUEST, headers: ['x-a', 'v\r\nx-injected: 1'] },
      { ...REQUEST, headers: ['x-a\r\nx-injected', 'v'] },
      { ...REQUEST, path: '/v1 HTTP/1.1\r\nx: y' },
    ]) {
      const c = collect();
      pool.dispatch(req, c.handler);
      expect((await c.done).error?.code).toBe('UND_ERR_INVALID_ARG');
    }
    expect(up.connections()).toBeLessThanOrEqual(1);
    await pool.close();
  });
});
