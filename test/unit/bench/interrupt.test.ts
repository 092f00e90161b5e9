/**
 * The load generator interrupted (Ctrl-C) and not, on real sockets: an interrupt stops sending at once, even
 * between the arrivals of a slow open loop, cuts what is in flight without recording it and without opening a
 * connection per queued request; nothing a target says passes for the bench's own cut; and the pacer reads a
 * concurrency refusal against everything that was in flight with it. `ratelimit` interrupted makes no retry
 * probe after the signal and counts only the windows that ended before it; `sweep` cuts its probe in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchContext } from '../../../src/bench/context.js';
import { runLoad } from '../../../src/bench/driver.js';
import { LiveFeed } from '../../../src/bench/live.js';
import { Pacer } from '../../../src/bench/pacer.js';
import { ratelimit } from '../../../src/bench/ratelimit.js';
import { sweep } from '../../../src/bench/sweep.js';
import { fixedSource } from '../../../src/bench/workload.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A target on a free port; `connections()` counts the TCP connections it accepted. */
async function target(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const s = createServer(handler);
  let accepted = 0;
  s.on('connection', () => accepted++);
  servers.push(s);
  const url = await new Promise<string>((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
  return { url, connections: () => accepted };
}

/** A scenario's context against `url`, with `extra` fields, and the controller that interrupts it. */
function interruptible(url: string, extra: Record<string, unknown> = {}) {
  const ac = new AbortController();
  const ctx = {
    target: { url, mocks: {} },
    model: 'm',
    apiKey: undefined,
    pacer: undefined,
    live: new LiveFeed(),
    progress() {},
    signal: ac.signal,
    ...extra,
  } as unknown as BenchContext;
  return { ctx, interrupt: () => ac.abort() };
}

const source = () => fixedSource(() => ({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }));
const never = () => {};
/** An open loop of 60 s at `rate` requests/s to `url`, and the controller that interrupts it. */
function openLoop(url: string, rate: number) {
  const ac = new AbortController();
  let recorded = 0;
  const live = { record: () => recorded++ } as unknown as LiveFeed;
  const run = runLoad({
    url,
    headers: {},
    source: source(),
    stream: false,
    durationMs: 60_000,
    connections: 1,
    rate,
    signal: ac.signal,
    live,
  });
  return { run, interrupt: () => ac.abort(), recorded: () => recorded };
}

describe('an interrupted load', () => {
  it('stops at once, records none of the requests it cut, and opens no connection for those still queued', async () => {
    const t = await target(never);
    // An open loop at 600/s against a target that never answers: past the pool's 512 connections, requests queue.
    const { run, interrupt } = openLoop(t.url, 600);
    while (t.connections() < 512) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const before = t.connections();
    const t0 = performance.now();
    interrupt();
    const r = await run;
    // A run of 60 s that ends on the signal (seconds apart, not milliseconds).
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.records).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.connections() - before).toBe(0);
  });

  it('ends the wait between two arrivals of a slow open loop', async () => {
    const t = await target((_q, res) => res.end('{}'));
    // One arrival every 20 s: the first goes at once, the second would come 20 s later.
    const { run, interrupt, recorded } = openLoop(t.url, 0.05);
    // Once the first answer is recorded (a fixed 300 ms was not always enough on a busy machine).
    while (recorded() < 1) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    interrupt();
    const r = await run;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.records).toHaveLength(1);
  });
});

describe('a load that is not interrupted', () => {
  it('counts a target error whose code is "interrupted" as the failure it is', async () => {
    const t = await target((_q, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'interrupted', message: 'x' } }));
    });
    const r = await runLoad({
      url: t.url,
      headers: {},
      source: source(),
      stream: false,
      durationMs: 60_000,
      connections: 2,
      maxRequests: 10,
    });
    expect(r.records).toHaveLength(10);
    expect(r.records.every((x) => !x.ok && x.code === 'interrupted')).toBe(true);
  });

  it('settles its concurrency at the target limit, not one below', async () => {
    // The target takes 4 requests at once, each for 20 ms, and refuses a fifth with 429 concurrency.
    let open = 0;
    const t = await target((_q, res) => {
      if (open >= 4) {
        res.writeHead(429, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { type: 'concurrency', code: 'rate_limit_exceeded', message: 'x' } }));
      }
      open++;
      setTimeout(() => {
        open--;
        res.end(JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 1, completion_tokens: 1 } }));
      }, 20);
    });
    const pacer = new Pacer(60_000, () => {});
    await runLoad({ url: t.url, headers: {}, source: source(), stream: false, durationMs: 1000, connections: 8, pacer });
    // A refusal comes with at least 5 in flight (the bench counts them until their answers are read): 5 − 1.
    expect(pacer.concurrency).toBe(4);
  });
});

describe('ratelimit, interrupted', () => {
  /** The scenario against a target, with a tenant whose key has a TPM limit, interrupted `abortAfterMs` in. */
  async function interrupted(url: string, windowMs: number, abortAfterMs: number, onAbort: () => void = () => {}) {
    const { ctx, interrupt } = interruptible(url, {
      limitedKey: 'k',
      profile: { tenants: { t: { keys: ['k'], limits: { tpm: 10_000 } } }, limits: { rateWindow: windowMs } },
      durationMs: 20_000,
      connections: 8,
    });
    const t0 = performance.now();
    const run = ratelimit(ctx);
    setTimeout(() => {
      onAbort();
      interrupt();
    }, abortAfterMs);
    const r = await run;
    return { r, ms: performance.now() - t0 };
  }
  const refuse = (res: ServerResponse, retryMs: number) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': String(retryMs) });
    res.end('{"error":{"code":"rate_limit_exceeded","type":"tokens"}}');
  };

  it('schedules no retry probe once interrupted, and reports none', async () => {
    // Every answer a 429 that asks for 15 s, the first ones still in flight when the signal comes.
    const t = await target((req, res) => {
      req.resume();
      setTimeout(() => refuse(res, 15_000), 50);
    });
    const { r, ms } = await interrupted(t.url, 1000, 25);
    // Not the 15 s a probe would wait.
    expect(ms).toBeLessThan(5000);
    expect(r.figures['ratelimit.retryAfterHonest']).toBeNull();
  }, 30_000);

  it('counts only the windows that ended before the signal', async () => {
    const t0 = performance.now();
    const t = await target((req, res) => {
      req.resume();
      const answer = () => res.end('{"usage":{"total_tokens":10}}');
      // Answers asked for from 200 ms on come at 1.6 s: 1.3 s after the signal, 600 ms past the end of the window.
      const at = performance.now() - t0;
      setTimeout(answer, at < 200 ? 20 : Math.max(20, 1600 - at));
    });
    // Stopped 300 ms into a 1 s window: no window ran whole, however late the last answers come. The signal may
    // come 700 ms late on a busy machine before it is past the window's end (at 800 ms, 200 ms late was enough).
    const { r } = await interrupted(t.url, 1000, 300);
    expect((r.detail as { fullWindows: number }).fullWindows).toBe(0);
    expect(r.lines[0]).toMatch(/shorter than one window/);
  });
});

describe('sweep, interrupted', () => {
  it('cuts the probe in flight and reports the search as interrupted, not as a trip', async () => {
    // Every answer begins and never ends: a 64 MiB probe through a slow gateway, as far as the bench can tell.
    const t = await target((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"x","choices":[');
    });
    const { ctx, interrupt } = interruptible(t.url);
    const t0 = performance.now();
    const run = sweep(ctx);
    setTimeout(interrupt, 300);
    const r = await run;
    // Seconds, not the never of an answer that does not end.
    expect(performance.now() - t0).toBeLessThan(5000);
    // No size proven: the first request body's answer began (200) but never came whole before the cut, and no answer or
    // stream was whole.
    expect(r.figures['sweep.requestBytes']).toBe(0);
    expect(r.figures['sweep.answerBytes']).toBe(0);
    expect(r.figures['sweep.streamBytes']).toBe(0);
    for (const line of r.lines) expect(line).toMatch(/beyond: not searched further: the run was interrupted/);
  }, 30_000);
});
