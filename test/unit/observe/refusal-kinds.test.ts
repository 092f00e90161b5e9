/**
 * /aigw/stats `refusals` stay a bounded set that a backend cannot fill: a 4xx passed through carries the backend's own
 * `error.code`, and a backend sending a new one each time made a new kind per request until all 1,024 were taken —
 * then a tenant's first 429 or a flood of 401s was counted nowhere (an attacker review). Past 256 kinds of a
 * backend's codes, its new ones count as `other`; the gateway's own codes always find room.
 */
import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../../src/events/types.js';
import type { GatewayView } from '../../../src/observe/gateway-view.js';
import { StatsCollector } from '../../../src/observe/stats.js';

const view: GatewayView = {
  windowMs: 60_000,
  models: new Map([['m', [{ backend: 'a', weight: 1 }]]]),
  upstreamModels: new Set(['m']),
  backends: new Map([['a', { inflight: 0, ejected: false }]]),
  tenants: new Map([['t', {}]]),
  adminKey: undefined,
};

/** A refusal: the gateway's own (errorType its code), or a backend's 4xx passed through (upstream_rejected). */
const refused = (status: number, errorCode: string, fromBackend = false): RequestEvent => ({
  type: 'request',
  ts: 0,
  requestId: 'r',
  endpoint: 'chat',
  model: 'm',
  upstreamModel: 'm',
  backend: 'a',
  tenant: 't',
  status,
  errorCode,
  errorType: fromBackend ? 'upstream_rejected' : errorCode,
  stream: false,
  durationMs: 5,
  tokens: { input: 0, output: 0, inputSource: 'usage', outputSource: 'usage' },
  bytesOut: 1,
  attempts: 1,
  admitted: true,
  clientAborted: false,
  truncated: false,
});

describe('refusal kinds', () => {
  it("a backend's 5,000 made-up codes take 256 kinds and `other`; the gateway's own 429 and 401 are still counted", () => {
    const stats = new StatsCollector(() => view);
    for (let i = 0; i < 5000; i++) stats.record(refused(400, `made_up_${i}`, true));
    stats.record(refused(429, 'rate_limit_exceeded'));
    for (let i = 0; i < 3; i++) stats.record(refused(401, 'invalid_api_key'));
    const r = stats.snapshot().refusals;
    expect(r.length).toBe(256 + 1 + 2);
    expect(r.find((x) => x.code === 'other')).toMatchObject({ status: 400, count: 5000 - 256 });
    expect(r.find((x) => x.code === 'rate_limit_exceeded')).toMatchObject({ status: 429, tenant: 't', count: 1 });
    expect(r.find((x) => x.code === 'invalid_api_key')).toMatchObject({ status: 401, count: 3 });
    // Every request is counted once.
    expect(r.reduce((n, x) => n + x.count, 0)).toBe(5004);
  });

  it("a backend naming the gateway's own codes under every 4xx status cannot crowd out the gateway's refusals", () => {
    const stats = new StatsCollector(() => view);
    const codes = ['invalid_request', 'model_not_found', 'context_length_exceeded', 'rate_limit_exceeded', 'invalid_api_key'];
    // Every status a backend's 4xx passes through with (401, 403 and 429 become the gateway's own errors).
    const passed = Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => s !== 401 && s !== 403 && s !== 429);
    for (const status of passed) for (const code of codes) for (let i = 0; i < 3; i++) stats.record(refused(status, code, true));
    stats.record(refused(429, 'rate_limit_exceeded'));
    const r = stats.snapshot().refusals;
    expect(r.find((x) => x.status === 429 && x.code === 'rate_limit_exceeded')?.count).toBe(1);
    // A backend's kinds stay bounded: 256 of its own, then `other` under a status, 512 in all.
    expect(r.length).toBeLessThanOrEqual(2 * 256 + 1);
  });

  it("a backend's code seen before its kinds ran out keeps counting as itself", () => {
    const stats = new StatsCollector(() => view);
    stats.record(refused(400, 'context_length_exceeded', true));
    for (let i = 0; i < 300; i++) stats.record(refused(400, `made_up_${i}`, true));
    stats.record(refused(400, 'context_length_exceeded', true));
    expect(stats.snapshot().refusals.find((x) => x.code === 'context_length_exceeded')?.count).toBe(2);
  });
});

describe('refusals without a tenant', () => {
  it('are not counted with those of a tenant named "null" (a name the profile takes)', () => {
    const named = { ...view, tenants: new Map([['null', {}]]) };
    const stats = new StatsCollector(() => named);
    // The gateway's 503 overloaded for a request whose key was not read yet, then two for the tenant "null".
    stats.record({ ...refused(503, 'overloaded'), tenant: undefined, admitted: false });
    for (let i = 0; i < 2; i++) stats.record({ ...refused(503, 'overloaded'), tenant: 'null' });
    const r = stats.snapshot().refusals.filter((x) => x.code === 'overloaded');
    expect(r).toEqual([
      { tenant: null, status: 503, code: 'overloaded', count: 1 },
      { tenant: 'null', status: 503, code: 'overloaded', count: 2 },
    ]);
  });
});
