/**
 * /aigw/stats' tenant usage over a wall-clock step back (NTP, a VM resumed, `date -s`): what was counted before the
 * step is counted as the current bucket's and leaves the window one window later, as the limiter does
 * (tenants/limits/sliding-window.ts). Kept in its bucket ahead of the clock, it stayed in `tpm.used`, `rpm.used` and the
 * budget's `usedUsd` until the clock caught up — an hour back, the tenant's old figures for the hour — while the limiter
 * had let them go after a window (attacker review).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestEvent } from '../../../src/events/types.js';
import type { GatewayView } from '../../../src/observe/gateway-view.js';
import { StatsCollector } from '../../../src/observe/stats.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const view: GatewayView = {
  windowMs: MINUTE,
  models: new Map([['m', [{ backend: 'a', weight: 1 }]]]),
  upstreamModels: new Set(['m']),
  backends: new Map([['a', { inflight: 0, ejected: false }]]),
  tenants: new Map([['t', { tpm: 1000, rpm: 10, budget: { usd: 10, per: HOUR } }]]),
  adminKey: undefined,
};

const answered = (ts: number): RequestEvent => ({
  type: 'request',
  ts,
  requestId: 'r',
  endpoint: 'chat',
  model: 'm',
  upstreamModel: 'm',
  backend: 'a',
  tenant: 't',
  costUsd: 0.5,
  status: 200,
  stream: false,
  durationMs: 5,
  tokens: { input: 100, output: 50, inputSource: 'usage', outputSource: 'usage' },
  bytesOut: 1,
  attempts: 1,
  admitted: true,
  clientAborted: false,
  truncated: false,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('tenant usage in /aigw/stats after the wall clock steps back', () => {
  const T = Date.UTC(2026, 0, 1, 12);

  it('tpm and rpm: counted as now, gone a window later, as the limiter has them', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const stats = new StatsCollector(() => view);
    vi.setSystemTime(T);
    stats.record(answered(T));
    const used = () => {
      const t = stats.snapshot().tenants.t!;
      return { tpm: t.tpm.used, rpm: t.rpm.used };
    };
    expect(used()).toEqual({ tpm: 150, rpm: 1 });
    vi.setSystemTime(T - HOUR);
    expect(used()).toEqual({ tpm: 150, rpm: 1 });
    // A request after the step adds to it.
    stats.record(answered(T - HOUR));
    expect(used()).toEqual({ tpm: 300, rpm: 2 });
    // Two windows on: nothing left (before, 150 and 1 of it stayed for the hour).
    vi.setSystemTime(T - HOUR + 2 * MINUTE);
    expect(used()).toEqual({ tpm: 0, rpm: 0 });
  });

  it("the budget's spend likewise, over its own window", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const stats = new StatsCollector(() => view);
    vi.setSystemTime(T);
    stats.record(answered(T));
    const spent = () => stats.snapshot().tenants.t!.budget!.usedUsd;
    expect(spent()).toBe(0.5);
    vi.setSystemTime(T - DAY);
    expect(spent()).toBe(0.5);
    vi.setSystemTime(T - DAY + 2 * HOUR);
    expect(spent()).toBe(0);
  });
});
