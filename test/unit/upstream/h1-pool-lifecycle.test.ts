/**
 * H1Pool's lifecycle edges, from a second attacker review of it: a head deadline of 0 is none (as undici reads it),
 * close() and destroy() called again, 1xx and trailers in one read, held data handed over while the handler pauses and
 * aborts, a refused request's controller (it must not reach the connection, which serves others).
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer } from 'node:net';
import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { H1Pool, type H1PoolOptions } from '../../../src/upstream/h1-pool.js';
import { eventually } from '../../helpers/eventually.js';
import { backend, type Collected, chunked, closeBackends, collect, OK, REQ, sleep } from '../../helpers/h1-peers.js';

afterAll(closeBackends);
const O: H1PoolOptions = { connections: 1, keepAliveTimeout: 4000, headersTimeout: 2000, bodyTimeout: 2000, connectTimeout: 2000 };
const timeout = <T>(p: Promise<T>, ms: number, v: T) => Promise.race([p, new Promise<T>((r) => setTimeout(() => r(v), ms))]);
function collectOne(pool: H1Pool): Promise<Collected> {
  const c = collect();
  pool.dispatch({ ...REQ }, c.handler);
  return c.done;
}

describe('h1-pool: what a second review attacked', () => {
  it('headersTimeout 0 (timeouts.firstByte: 0) is no deadline, as in undici', async () => {
    const up = await backend((_n, s) => setTimeout(() => s.write(OK('hi')), 20));
    const u = new Pool(up.url, { connections: 1, headersTimeout: 0, bodyTimeout: 0 });
    const cu = collect();
    u.dispatch({ ...REQ }, cu.handler);
    const h = new H1Pool(up.url, { ...O, headersTimeout: 0, bodyTimeout: 0 });
    const ch = collect();
    h.dispatch({ ...REQ }, ch.handler);
    const [ru, rh] = await Promise.all([cu.done, ch.done]);
    await u.close();
    await h.close();
    expect({ u: ru.error?.message ?? ru.body, h: rh.error?.message ?? rh.body }).toEqual({ u: 'hi', h: 'hi' });
  });

  it('close() called twice: both promises resolve', async () => {
    const up = await backend((_n, s) => setTimeout(() => s.write(OK('x')), 50));
    const pool = new H1Pool(up.url, O);
    const a = collect();
    pool.dispatch({ ...REQ }, a.handler);
    const c1 = pool.close();
    const c2 = pool.close();
    await a.done;
    const r = await timeout(
      Promise.all([c1, c2]).then(() => 'ok'),
      1000,
      'HUNG',
    );
    expect(r).toBe('ok');
  });

  it('close() then destroy(): close resolves', async () => {
    const up = await backend((_n, s) => setTimeout(() => s.write(OK('x')), 500));
    const pool = new H1Pool(up.url, O);
    const a = collect();
    pool.dispatch({ ...REQ }, a.handler);
    const c1 = pool.close();
    await sleep(20);
    const c2 = pool.destroy();
    const r = await timeout(
      Promise.all([c1, c2]).then(() => 'ok'),
      1000,
      'HUNG',
    );
    expect(r).toBe('ok');
  });

  it.each(['close', 'destroy', 'backend closes'] as const)(
    'an idle connection taken for a request, then %s before it is checked: the request is answered or fails, once; the pool closes',
    async (then) => {
      let first: import('node:net').Socket | undefined;
      const up = await backend((n, s) => {
        first ??= s;
        s.write(OK(`r${n}`));
      });
      const pool = new H1Pool(up.url, { ...O, connections: 2 });
      expect((await collectOne(pool)).body).toBe('r0');
      await sleep(20);
      const a = collect();
      const b = collect();
      // Both in one turn: one takes the idle connection (checked first), the other opens one.
      pool.dispatch({ ...REQ }, a.handler);
      pool.dispatch({ ...REQ }, b.handler);
      if (then === 'backend closes') first!.destroy();
      const closed = then === 'destroy' ? pool.destroy() : then === 'close' ? pool.close() : Promise.resolve();
      const [ra, rb] = await timeout(Promise.all([a.done, b.done]), 2000, [] as Collected[]);
      expect(ra && rb).toBeTruthy();
      for (const r of [ra!, rb!]) {
        expect(r.ends + r.errs).toBe(1);
        // Queued for the check: UND_ERR_DESTROYED; under way on its own connection: that connection's close.
        if (then === 'destroy') expect(['UND_ERR_DESTROYED', 'UND_ERR_SOCKET']).toContain(r.error?.code);
        else expect(r.error).toBeUndefined();
      }
      expect(
        await timeout(
          closed.then(() => 'ok'),
          1000,
          'HUNG',
        ),
      ).toBe('ok');
      if (then === 'backend closes') await pool.close();
    },
  );

  it('1xx + final in one read; chunked + trailers; then next request on the same connection', async () => {
    const up = await backend((n, s) => {
      if (n === 0) s.write('HTTP/1.1 103 Early\r\nlink: x\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else if (n === 1) s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-t\r\n\r\n2\r\nab\r\n0\r\nx-t: 1\r\n\r\n');
      else s.write(OK('third'));
    });
    const pool = new H1Pool(up.url, O);
    const r: Collected[] = [];
    for (let i = 0; i < 3; i++) {
      const c = collect();
      pool.dispatch({ ...REQ }, c.handler);
      r.push(await c.done);
    }
    expect(r.map((x) => x.error?.message ?? x.body)).toEqual(['ok', 'ab', 'third']);
    expect(up.conns()).toBe(1);
    await pool.close();
  });

  it('paused, end held; resume -> handler pauses again in first handed chunk; then aborts in second', async () => {
    const up = await backend((_n, s) => s.write(chunked('a', 'b', 'c', 'd')));
    const pool = new H1Pool(up.url, O);
    let ctrl!: Dispatcher.DispatchController;
    let k = 0;
    const c = collect({
      onResponseData(cc) {
        ctrl = cc;
        k++;
        if (k === 1) cc.pause();
        if (k === 2) cc.pause();
        if (k === 3) cc.abort(new Error('abort-in-handover'));
      },
    });
    pool.dispatch({ ...REQ }, c.handler);
    // Paused in the first piece, the rest of the read held.
    await eventually(() => k === 1);
    ctrl.resume();
    await sleep(10);
    ctrl.resume();
    const a = await c.done;
    await sleep(20);
    expect({ ends: a.ends, errs: a.errs, order: a.order }).toEqual({
      ends: 0,
      errs: 1,
      order: ['start200', 'data:a', 'data:b', 'data:c', 'error:abort-in-handover'],
    });
    // the connection is still good for another
    const d = collect();
    pool.dispatch({ ...REQ }, d.handler);
    expect((await d.done).body).toContain('a');
    await pool.close();
  });

  it('nested pause+resume inside handed-over data keeps order and one end', async () => {
    const up = await backend((_n, s) => s.write(chunked('a', 'b', 'c')));
    const pool = new H1Pool(up.url, O);
    let ctrl!: Dispatcher.DispatchController;
    let k = 0;
    const c = collect({
      onResponseData(cc) {
        ctrl = cc;
        k++;
        if (k === 1) cc.pause();
        if (k === 2) {
          cc.pause();
          cc.resume();
        }
      },
    });
    pool.dispatch({ ...REQ }, c.handler);
    // Paused in the first piece, the rest of the read held.
    await eventually(() => k === 1);
    ctrl.resume();
    const a = await c.done;
    await sleep(20);
    expect(a.order).toEqual(['start200', 'data:a', 'data:b', 'data:c', 'end']);
    expect(a.ends).toBe(1);
    await pool.close();
  });

  it('invalid header then abort() on the controller given to onResponseError: must not kill another request', async () => {
    const up = await backend((_n, s) => setTimeout(() => s.write(OK('second')), 100));
    const pool = new H1Pool(up.url, O);
    let bad!: Dispatcher.DispatchController;
    const c1 = collect({ onResponseError: (cc) => (bad = cc) });
    pool.dispatch({ ...REQ, headers: ['x-bad', 'a\r\nb'] }, c1.handler);
    await c1.done;
    await sleep(20);
    const c2 = collect();
    pool.dispatch({ ...REQ }, c2.handler);
    await sleep(30);
    bad.abort(new Error('late abort of the refused request'));
    const r = await c2.done;
    expect(r.error?.message ?? r.body).toBe('second');
    await pool.close();
  });

  it('onRequestSent says whether the connection waited idle before (the keep-alive race), not on one opened for it', async () => {
    const up = await backend((_n, s) => s.write(OK('x')));
    const pool = new H1Pool(up.url, O);
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const c = collect();
      pool.dispatch({ ...REQ }, { ...c.handler, onRequestSent: (r: boolean) => void reused.push(r) });
      expect((await c.done).body).toBe('x');
    }
    expect(reused).toEqual([false, true, true]);
    expect(up.conns()).toBe(1);
    await pool.close();
  });

  it('an answer that came before its request was written whole does not keep the connection: the next request never goes out behind that body', async () => {
    // A backend that answers at the head and reads on, taking whatever ends in a blank line for a request: the rest of
    // the first body is one, and its answer was read as the next request's.
    let first: Socket | undefined;
    const server = createServer((s) => {
      s.on('error', () => {});
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return void (buf = buf.slice(-3));
          const who = /^POST .*x-who: (\w+)/s.exec(buf.slice(0, end))?.[1];
          buf = buf.slice(end + 4);
          if (first === undefined) {
            first = s;
            s.write(OK('A'));
            // The rest of the first body stays unread (in the sender's buffers) until the next request is dispatched.
            s.pause();
          } else s.write(OK(who ? `answer-to-${who}` : 'the rest of the first body'));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const pool = new H1Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, O);
    // Larger than the kernel's buffers on loopback: most of it is still queued in the socket when A's answer comes.
    const a = collect();
    pool.dispatch({ ...REQ, headers: ['x-who', 'A'], body: `${'x'.repeat(32 << 20)}\r\n\r\n` }, a.handler);
    expect((await a.done).body).toBe('A');
    const b = collect();
    pool.dispatch({ ...REQ, headers: ['x-who', 'B'] }, b.handler);
    first!.resume();
    const rb = await b.done;
    expect(rb.error?.message ?? rb.body).toBe('answer-to-B');
    await pool.close();
    server.close();
  });
});
