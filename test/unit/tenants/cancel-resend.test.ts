/**
 * Cancellations the Redis store could not get answered wait for a reconnection, then go out in batches, each
 * waiting once per reconnection: sent all at once, 10,000 held the event loop for 200 ms; resent while the socket
 * was closing, a batch that failed at once was parked and resent without end and the event loop never let go.
 * A scripted server on a real socket answers the connection handshake and never a script.
 */
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisLimitStore } from '../../../src/tenants/limits/redis-store.js';

interface Internals {
  unanswered: Map<string, { keys: string[]; args: (string | number)[]; until: number }>;
  redis: { stream: Socket; status: string; once(ev: string, f: () => void): void };
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A server that answers INFO and CLIENT and holds every script unanswered; `scripts` counts them. */
async function silentRedis() {
  const seen = { scripts: 0 };
  const sockets = new Set<Socket>();
  // Half-open allowed: a client that ends its side stays connected, its socket unwritable, until the server ends too.
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => {
      for (const m of d.toString('latin1').matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)/g)) {
        const c = m[1]!.toLowerCase();
        if (c === 'info') s.write('$11\r\nloading:0\r\n\r\n');
        else if (c === 'client' || c === 'select') s.write('+OK\r\n');
        else if (c === 'evalsha' || c === 'eval') seen.scripts++;
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => srv.close(r));
  });
  return { url: `redis://127.0.0.1:${(srv.address() as { port: number }).port}`, seen };
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

async function parkedStore(url: string, n: number, timeoutMs = 200) {
  const store = new RedisLimitStore({ url, windowMs: 60_000, timeoutMs, leaseTtlMs: 60_000, prefix: 'x' });
  closers.push(() => store.close());
  await store.ready();
  const inner = store as unknown as Internals;
  for (let i = 0; i < n; i++) inner.unanswered.set(`L${i}`, { keys: ['k'], args: [1, 2, 3, `L${i}`], until: Date.now() + 60_000 });
  return inner;
}

describe('cancellations waiting for a reconnection', () => {
  it('go out 200 at a time, the next batch once the one before has its answers (or its timeouts)', { timeout: 30_000 }, async () => {
    const { url, seen } = await silentRedis();
    // Scripts time out after 2 s here: the second batch cannot begin before then.
    const inner = await parkedStore(url, 500, 2000);
    inner.redis.stream.destroy();
    await new Promise<void>((r) => inner.redis.once('ready', r));
    await until(() => seen.scripts >= 200);
    await sleep(300);
    expect(seen.scripts).toBe(200);
    // Each timed out on a live connection: written, so not kept again; the next batch follows.
    await until(() => seen.scripts >= 500);
    expect(seen.scripts).toBe(500);
    expect(inner.unanswered.size).toBe(0);
  });

  it('are resent once per reconnection: a batch that fails at once while the socket closes leaves the loop', async () => {
    const { url } = await silentRedis();
    const inner = await parkedStore(url, 250);
    inner.redis.stream.destroy();
    await new Promise<void>((r) => inner.redis.once('ready', r));
    // The socket stops being writable while the client still says 'ready' (between a FIN and 'close').
    setTimeout(() => inner.redis.stream.end(), 50);
    const started = performance.now();
    await sleep(1000);
    // Reached at all: with the resend looping over what it parked, this timer never fired.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
