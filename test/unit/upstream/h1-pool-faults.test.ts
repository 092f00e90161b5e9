/**
 * Faults a hostile or broken backend causes, each run through undici's Pool and through H1Pool (h1-pool.ts), which
 * replaced it: bytes past an answer's end, a duplicated answer, a throwing handler, pause mid-read, close with a
 * request queued, connect faults, the keep-alive race, large heads, a header value that would add a line. Found by
 * an attacker review of the first version of H1Pool; each failed then.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { createServer as createTls } from 'node:tls';
import type { Dispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { H1Pool, type H1PoolOptions } from '../../../src/upstream/h1-pool.js';
import { Pool } from 'undici';
import { classifyError } from '../../../src/upstream/classify.js';
import { opensslAvailable, useCerts } from '../../helpers/certs.js';
import { eventually } from '../../helpers/eventually.js';
import { backend, chunked, type Collected, closeBackends, collect, OK, REQ, sleep } from '../../helpers/h1-peers.js';

afterAll(closeBackends);

const O: H1PoolOptions = { connections: 1, keepAliveTimeout: 4000, headersTimeout: 2000, bodyTimeout: 2000, connectTimeout: 2000 };
type Any = { dispatch(r: object, h: Dispatcher.DispatchHandler): boolean; close(): Promise<void> };
const pools: [string, (url: string) => Any][] = [
  ['undici', (url) => new Pool(url, { connections: 1, pipelining: 1, headersTimeout: 2000, bodyTimeout: 2000 }) as unknown as Any],
  ['h1', (url) => new H1Pool(url, O)],
];
function send(pool: Any, hooks?: Partial<Dispatcher.DispatchHandler>): Promise<Collected> {
  const c = collect(hooks);
  pool.dispatch({ ...REQ, headers: [...REQ.headers] }, c.handler);
  return c.done;
}

/** What escaped to the process (uncaughtException) while `run` ran: vitest's own listeners set aside meanwhile. */
async function uncaughtDuring(run: () => Promise<void>): Promise<unknown[]> {
  const escaped: unknown[] = [];
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const catcher = (e: unknown) => escaped.push(e);
  process.on('uncaughtException', catcher);
  try {
    await run();
  } finally {
    process.removeListener('uncaughtException', catcher);
    for (const l of listeners) process.on('uncaughtException', l);
  }
  return escaped;
}

describe.each(pools)('%s', (_name, make) => {
  it('a body longer than its content-length (bytes after the answer, same read) does not fail the NEXT request', async () => {
    // A backend that counts characters, not bytes: 'é' is two bytes, so two bytes are left over after the answer.
    const up = await backend((n, s) => {
      if (n === 0) s.write('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n{"a":"éé"}"}');
      else s.write(OK('second'));
    });
    const pool = make(up.url);
    const first = await send(pool);
    expect(first.error).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    const second = await send(pool);
    expect(second.error).toBeUndefined();
    expect(second.body).toBe('second');
    await pool.close();
  });

  it('line ends after an answer, in its read, are skipped as llhttp skips them: the connection serves the next request', async () => {
    const up = await backend((n, s) => s.write(n === 0 ? `${OK('first')}\r\n\r\n` : chunked('sec', 'ond')));
    const pool = make(up.url);
    expect((await send(pool)).body).toBe('first');
    await new Promise((r) => setTimeout(r, 20));
    const second = await send(pool);
    expect(second.error).toBeUndefined();
    expect(second.body).toBe('second');
    expect(up.conns()).toBe(1);
    await pool.close();
  });

  it('the answer to a HEAD has no body, whatever its content-length says: the next request reads its own answer', async () => {
    const up = await backend((n, s) => s.write(n === 0 ? 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n' : OK('next')));
    const pool = make(up.url);
    const c = collect();
    pool.dispatch({ ...REQ, method: 'HEAD', body: '', headers: [...REQ.headers] }, c.handler);
    const head = await c.done;
    expect(head.error).toBeUndefined();
    expect([head.status, head.body]).toEqual([200, '']);
    const next = await send(pool);
    expect(next.body).toBe('next');
    await pool.close();
  });

  it('a chunked answer whose chunks are plain, then extended, then plain: the same body, in order', async () => {
    const up = await backend((_n, s) => {
      s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
      setTimeout(() => s.write('3;x=1\r\ndef\r\n0003\r\nghi\r\n0;y\r\nx-t: 1\r\n\r\n'), 20);
    });
    const pool = make(up.url);
    const r = await send(pool);
    expect(r.error).toBeUndefined();
    expect(r.body).toBe('abcdefghi');
    await pool.close();
  });

  it('a duplicated answer split across reads is never handed to the next request', async () => {
    const dup = OK('answer-for-A');
    const up = await backend((n, s) => {
      if (n === 0) {
        // The whole answer and the start of its copy in one read; the copy's rest a moment later.
        s.write(dup + dup.slice(0, 20));
        setTimeout(() => s.write(dup.slice(20)), 30);
      } else setTimeout(() => s.write(OK('answer-for-B')), 60);
    });
    const pool = make(up.url);
    const a = await send(pool);
    expect(a.body).toBe('answer-for-A');
    // B goes as soon as A ended (the gateway's slot hand-over is a microtask).
    const b = await send(pool);
    expect(b.body).not.toBe('answer-for-A');
    await pool.close().catch(() => {});
  });

  it('an answer nobody asked for, sent on an idle connection as the next request takes it, is never that request’s answer', async () => {
    let first: Socket | undefined;
    const up = await backend((n, s) => {
      if (n === 0) first = s;
      s.write(OK(n === 0 ? 'answer-for-A' : 'answer-for-B'));
    });
    const pool = make(up.url);
    expect((await send(pool)).body).toBe('answer-for-A');
    // Settled long ago: the connection waits idle in the pool.
    await sleep(50);
    // The backend's bytes are in the socket's buffer, not yet read, when the next request is dispatched (the same turn:
    // a client's request read in the poll before this socket's, a retry's timer).
    first!.write(OK('unsolicited'));
    const b = await send(pool);
    expect(b.error).toBeUndefined();
    expect(b.body).toBe('answer-for-B');
    await pool.close().catch(() => {});
  });

  it('a 204 that names a length closes its connection: the body its backend sends after it is never the next answer', async () => {
    const up = await backend((n, s) => {
      // B's answer takes a while: the late body comes while B waits for it.
      if (n > 0) return void setTimeout(() => s.write(OK('answer-for-B')), 80);
      // A backend that believes it sent a body (RFC 9110 §8.6: a 204 has no content-length), its body a moment late.
      s.write('HTTP/1.1 204 No Content\r\ncontent-length: 12\r\n\r\n');
      setTimeout(() => s.write('{"text":"A"}'), 40);
    });
    const pool = make(up.url);
    await send(pool);
    await sleep(10);
    const b = await send(pool);
    expect(b.error).toBeUndefined();
    expect(b.body).toBe('answer-for-B');
    await pool.close().catch(() => {});
  });

  it('a 204 whose content-length is 0 keeps its connection', async () => {
    const up = await backend((n, s) => s.write(n === 0 ? 'HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n' : OK('next')));
    const pool = make(up.url);
    expect((await send(pool)).status).toBe(204);
    expect((await send(pool)).body).toBe('next');
    expect(up.conns()).toBe(1);
    await pool.close();
  });

  it.each([
    ['a length', 'content-length: 5\r\n'],
    ['chunks', 'transfer-encoding: chunked\r\n'],
  ])('a 1xx that names a body by %s has none (RFC 9112 §6.3): the final answer after it is read whole', async (_f, framing) => {
    // llhttp reads a body for a 1xx past 103 that names one: the final answer's first bytes were taken for it.
    const up = await backend((_n, s) => s.write(`HTTP/1.1 150 Odd\r\n${framing}\r\n${OK('final')}`));
    const pool = make(up.url);
    const r = await send(pool);
    expect(r.error).toBeUndefined();
    expect([r.status, r.body]).toEqual([200, 'final']);
    await pool.close().catch(() => {});
  });

  it('a handler that throws in onResponseData fails its request, never escapes', async () => {
    const up = await backend((_n, s) => s.write(OK('hello')));
    const pool = make(up.url);
    const escaped = await uncaughtDuring(async () => {
      const r = await Promise.race([
        send(pool, {
          onResponseData() {
            throw new Error('handler bug');
          },
        }),
        new Promise<Collected>((r) => setTimeout(() => r({ body: 'HUNG' } as Collected), 3000)),
      ]);
      expect(r.error?.message).toBe('handler bug');
    });
    expect(escaped).toEqual([]);
    await pool.close().catch(() => {});
  });

  it.each([
    ['a length', OK('hello')],
    ['chunks', chunked('hel', 'lo')],
  ])('a handler that throws at the end of an answer framed by %s: it never escapes, and the pool serves on', async (_f, answer) => {
    const up = await backend((_n, s) => s.write(answer));
    const pool = make(up.url);
    const escaped = await uncaughtDuring(async () => {
      const c = collect({
        onResponseEnd() {
          throw new Error('handler bug at the end');
        },
      });
      pool.dispatch({ ...REQ, headers: [...REQ.headers] }, c.handler);
      await c.done;
      await new Promise((r) => setTimeout(r, 50));
    });
    expect(escaped).toEqual([]);
    expect((await send(pool)).body).toBe('hello');
    await pool.close().catch(() => {});
  });

  it('`transfer-encoding: chunked` followed by a non-breaking space is not chunked (llhttp reads such a body to the close)', async () => {
    const up = await backend((_n, s) => {
      s.write(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\xa0\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'latin1'));
      setTimeout(() => s.end('more'), 50);
    });
    const pool = make(up.url);
    const r = await send(pool);
    expect(r.error).toBeUndefined();
    expect(r.body).toBe('5\r\nhello\r\n0\r\n\r\nmore');
    await pool.close().catch(() => {});
  });

  it('pause() in onResponseData stops delivery: nothing more, and no end, until resume()', async () => {
    const up = await backend((_n, s) => {
      s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n');
    });
    const pool = make(up.url);
    let afterPause = 0;
    let paused = false;
    let ctrl: Dispatcher.DispatchController | undefined;
    const c = collect({
      onResponseData(cc) {
        if (paused) afterPause++;
        else {
          paused = true;
          ctrl = cc;
          cc.pause();
        }
      },
    });
    let ended = false;
    const h = c.handler;
    const end = h.onResponseEnd!.bind(h);
    h.onResponseEnd = (cc, t) => {
      ended = true;
      end(cc, t);
    };
    pool.dispatch({ ...REQ, headers: [...REQ.headers] }, h);
    await eventually(() => paused);
    // Then a while in which nothing more may come.
    await new Promise((r) => setTimeout(r, 100));
    const seen = { afterPause, ended };
    ctrl!.resume();
    await c.done;
    expect(seen).toEqual({ afterPause: 0, ended: false });
    await pool.close();
  });

  it('close() with a request queued behind a busy connection: the queued one is answered, close resolves', async () => {
    const up = await backend((_n, s) => setTimeout(() => s.write(OK('x')), 50));
    const pool = make(up.url);
    const a = send(pool);
    const b = send(pool);
    const closed = pool.close();
    const r = await Promise.race([
      Promise.all([a, b, closed]).then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('HUNG'), 2000)),
    ]);
    expect(r).toBe('settled');
  });
});

describe('connect faults: h1 and undici fail alike', () => {
  const run = async (url: string, make: 'h1' | 'undici', connectTimeout = 300) => {
    const pool =
      make === 'h1'
        ? new H1Pool(url, { ...O, connectTimeout })
        : (new Pool(url, { connections: 1, pipelining: 1, connect: { timeout: connectTimeout } }) as unknown as Any);
    const t0 = performance.now();
    const a = await Promise.race([
      send(pool as Any),
      new Promise<Collected>((r) => setTimeout(() => r({ body: 'HUNG' } as Collected), 3000)),
    ]);
    (pool as Any).close().catch(() => {});
    return { code: a.error?.code, failure: a.error ? classifyError(a.error) : a.body, ms: Math.round(performance.now() - t0) };
  };

  it.skipIf(!opensslAvailable)('refused, TLS never answered, TLS from a CA nobody trusts: the same codes and failures', async () => {
    const certs = useCerts();
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as { port: number }).port;
    dead.close();
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const tls = createTls({ key: readFileSync(certs.server.key), cert: readFileSync(certs.server.cert) }, (s) => s.end());
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const out: Record<string, unknown> = {};
    for (const [name, url] of [
      ['refused', `http://127.0.0.1:${deadPort}`],
      ['tls-silent', `https://127.0.0.1:${(silent.address() as { port: number }).port}`],
      ['tls-selfsigned', `https://localhost:${(tls.address() as { port: number }).port}`],
    ] as const)
      for (const m of ['undici', 'h1'] as const) out[`${name}/${m}`] = await run(url, m);
    tls.close();
    silent.close();
    for (const name of ['refused', 'tls-silent', 'tls-selfsigned']) {
      const [mine, theirs] = [out[`${name}/h1`], out[`${name}/undici`]] as { code: string; failure: string }[];
      expect({ code: mine!.code, failure: mine!.failure }).toEqual({ code: theirs!.code, failure: theirs!.failure });
    }
  });
});

describe('keep-alive race: the backend closes an idle socket as the next request is written', () => {
  it.each(['undici', 'h1'] as const)('%s: no request is written onto a socket the backend already closed', async (m) => {
    const up = await backend((_n, s) => {
      s.write(OK('ok'));
      // The backend's keep-alive ends right after it answered (FIN, or RST when a request came meanwhile).
      setImmediate(() => (Math.random() < 0.5 ? s.end() : s.destroy()));
    });
    const pool = m === 'h1' ? new H1Pool(up.url, O) : (new Pool(up.url, { connections: 1, pipelining: 1 }) as unknown as Any);
    const failures: Record<string, number> = {};
    let started = 0;
    for (let i = 0; i < 300; i++) {
      let began = false;
      const a = await send(pool as Any, { onResponseStart: () => void (began = true) });
      if (a.error) {
        const k = `${classifyError(a.error)}:${a.error.code}:${began ? 'began' : 'none'}`;
        failures[k] = (failures[k] ?? 0) + 1;
        if (began) started++;
      }
    }
    expect(started).toBe(0);
    // undici validates an idle socket one loop turn before reuse (GHSA-35p6-xmwp-9g52): none of these fail.
    expect(failures).toEqual({});
    await (pool as Any).close();
  });
});

describe('heads: many headers, huge heads', () => {
  const many = (n: number, p = 'x') => Array.from({ length: n }, (_, i) => `${p}-${i}: v${i}\r\n`).join('');
  it.each(pools)(
    '%s: 40 headers after a 1xx of 40 headers, then a chunked answer with 40 trailers, twice on one connection',
    async (_n, make) => {
      const up = await backend((_i, s) =>
        s.write(
          `HTTP/1.1 103 Early\r\n${many(40, 'e')}\r\nHTTP/1.1 200 OK\r\n${many(40)}transfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n${many(40, 't')}\r\n`,
        ),
      );
      const pool = make(up.url);
      for (let i = 0; i < 2; i++) {
        let headers: Record<string, unknown> = {};
        const a = await send(pool, { onResponseStart: (_c, st, h) => void (st >= 200 && (headers = { ...h })) });
        expect(a.body).toBe('ok');
        expect(Object.keys(headers).filter((k) => k.startsWith('x-')).length).toBe(40);
        expect(Object.keys(headers).some((k) => k.startsWith('e-') || k.startsWith('t-'))).toBe(false);
      }
      await pool.close();
    },
  );
  it.each(pools)('%s: a 20 KiB head is refused as a headers overflow', async (_n, make) => {
    const up = await backend((_i, s) => s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(20 * 1024)}\r\ncontent-length: 2\r\n\r\nok`));
    const pool = make(up.url);
    const a = await send(pool);
    expect(a.error?.code).toBe('UND_ERR_HEADERS_OVERFLOW');
    await pool.close();
  });
});

describe('request head validation', () => {
  it.each(pools)('%s: a header value with U+010D U+010A (CR LF once written as latin1) never adds a header line', async (_n, make) => {
    let head = '';
    const up = await backend((_i, s, request) => {
      head += request;
      s.write(OK('ok'));
    });
    const pool = make(up.url);
    const c = collect();
    try {
      pool.dispatch({ ...REQ, headers: ['x-a', 'v\u010d\u010ax-injected: 1'] }, c.handler);
    } catch (e) {
      (c.handler.onResponseError as (c: unknown, e: Error) => void)(undefined, e as Error);
    }
    await c.done;
    await new Promise((r) => setTimeout(r, 50));
    expect(head).not.toMatch(/\r\nx-injected: 1\r\n/);
    await pool.close();
  });
});
