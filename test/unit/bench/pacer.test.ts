/** The pacer: limits learnt from x-ratelimit headers, buckets at 90 %, 429s, concurrency, never-fits, deadlines. */
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../../src/bench/pacer.js';

const limits = (tokens: number, requests: number, remTokens = tokens, remRequests = requests) => ({
  'x-ratelimit-limit-tokens': String(tokens),
  'x-ratelimit-remaining-tokens': String(remTokens),
  'x-ratelimit-limit-requests': String(requests),
  'x-ratelimit-remaining-requests': String(remRequests),
});

async function admitted(p: Pacer, ms: number, cost: number): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  for (;;) {
    const a = await p.acquire(cost, end);
    if (!a.ok) return n;
    n++;
    a.release();
  }
}

describe('Pacer', () => {
  it('does nothing until a limit is known', async () => {
    const p = new Pacer(1000, () => {});
    expect(p.active).toBe(false);
    expect(await admitted(p, 50, 10)).toBeGreaterThan(100);
  });

  it('keeps requests under 90 % of x-ratelimit-limit-requests, and says so once', async () => {
    const said: string[] = [];
    const p = new Pacer(1000, (l) => said.push(l));
    p.observe({ status: 200, limits: limits(1_000_000, 100) });
    p.observe({ status: 200, limits: limits(1_000_000, 100) });
    expect(p.active).toBe(true);
    const n = await admitted(p, 500, 1);
    // 90 per second over half a second, plus the small burst: never more (a slow machine may admit fewer).
    expect(n).toBeGreaterThanOrEqual(10);
    expect(n).toBeLessThanOrEqual(55);
    expect(said.filter((l) => l.includes('100 requests per 1s'))).toHaveLength(1);
  });

  it("paces tokens by each request's reservation, and refuses one larger than the whole budget", async () => {
    const p = new Pacer(1000, () => {});
    p.observe({ status: 200, limits: limits(1000, 1_000_000) });
    const n = await admitted(p, 500, 50);
    expect(n * 50).toBeLessThanOrEqual(0.9 * 1000 * 0.5 + 50 + 50);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(await p.acquire(5000)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than the key's whole budget of 1000/) });
  });

  it('lets a request larger than the burst go, and makes the next one wait out the debt', async () => {
    const p = new Pacer(1000, () => {});
    p.observe({ status: 200, limits: limits(1000, 1_000_000) });
    const t0 = performance.now();
    expect((await p.acquire(400)).ok).toBe(true);
    const first = performance.now() - t0;
    expect((await p.acquire(400)).ok).toBe(true);
    const second = performance.now() - t0 - first;
    // Timers never fire early: the wait is a robust lower bound; the first request did not wait for it.
    expect(second).toBeGreaterThan(300);
    expect(first).toBeLessThan(second);
  });

  it('waits retry-after-ms after a 429 before the next paced request', async () => {
    const said: string[] = [];
    const p = new Pacer(60_000, (l) => said.push(l));
    // Timed from before the 429 is observed (the wait counts from then): a busy machine that takes long between
    // observe and acquire cannot make the wait look short.
    const t0 = performance.now();
    p.observe({ status: 429, errorType: 'tokens', limits: { 'retry-after-ms': '150', 'x-ratelimit-remaining-tokens': '0' } });
    const a = await p.acquire(1);
    expect(a.ok).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    expect(said[0]).toMatch(/^429 tokens: the target rate-limits this key/);
  });

  it('honours a retry-after longer than it waits for as its longest wait, not as none', async () => {
    const p = new Pacer(60_000, () => {});
    // An hour: past MAX_WAIT_MS (120 s). Ignored, the bench went on sending at once to a target that asked for an hour.
    p.observe({ status: 429, errorType: 'requests', limits: { 'retry-after': '3600' } });
    const a = await p.acquire(1, performance.now() + 100);
    expect(a).toMatchObject({ ok: false, late: true });
  });

  it("says a 429's limit headers printable: a target's C1 CSI or OSC never reaches the terminal", () => {
    const said: string[] = [];
    const p = new Pacer(60_000, (l) => said.push(l));
    const csi = '\u009b2J\u009b31mFORGED';
    const osc = '\u009d8;;http://evil.example/\u009c';
    p.observe({ status: 429, errorType: 'tokens', limits: { 'x-ratelimit-remaining-tokens': csi, 'x-ratelimit-reset-tokens': osc } });
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('x-ratelimit-remaining-tokens ?2J?31mFORGED, resets in ?8;;http://evil.example/?');
    expect(said[0]).not.toMatch(/[\u0080-\u009f]/);
  });

  it('lowers its ceiling on concurrency refusals until they stop', async () => {
    const p = new Pacer(60_000, () => {});
    const held = await Promise.all(Array.from({ length: 10 }, () => p.acquire(1)));
    p.observe({ status: 429, errorType: 'concurrency' });
    expect(p.concurrency).toBe(9);
    for (const h of held) if (h.ok) h.release();
    const a = await p.acquire(1);
    expect(a.ok).toBe(true);
  });

  it('gives up at the deadline instead of sending after the scenario ended', async () => {
    const p = new Pacer(60_000, () => {});
    p.observe({ status: 200, limits: limits(1_000_000, 1, 0, 0) });
    const a = await p.acquire(1, performance.now() + 30);
    expect(a).toMatchObject({ ok: false, late: true });
  });

  it('stops waiting when the run is interrupted, and says so (not a request that can never fit)', async () => {
    const p = new Pacer(60_000, () => {});
    // A turn a minute away: without the interrupt it would wait for it.
    p.observe({ status: 200, limits: limits(1_000_000, 1, 0, 0) });
    const ac = new AbortController();
    const t0 = performance.now();
    const waiting = p.acquire(1, Number.POSITIVE_INFINITY, ac.signal);
    setTimeout(() => ac.abort(), 20);
    expect(await waiting).toMatchObject({ ok: false, late: true, reason: expect.stringMatching(/interrupted/) });
    // Seconds, not the minute the limit would have it wait.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
