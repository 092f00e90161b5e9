/**
 * /aigw/stats `errors` and `aigw_routed_requests_total` over the events of one request that tried several
 * backends: each attempt counts once for its own backend, whether it failed over, failed last or answered.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayEvent, RequestEvent, UpstreamErrorEvent } from '../../../src/events/types.js';
import type { GatewayView } from '../../../src/observe/gateway-view.js';
import { GatewayMetrics } from '../../../src/observe/metrics.js';
import { StatsCollector } from '../../../src/observe/stats.js';

const view: GatewayView = {
  windowMs: 60_000,
  models: new Map([
    [
      'm',
      [
        { backend: 'a', weight: 1 },
        { backend: 'b', weight: 1 },
      ],
    ],
  ]),
  upstreamModels: new Set(['m']),
  backends: new Map([
    ['a', { inflight: 0, ejected: false }],
    ['b', { inflight: 0, ejected: false }],
  ]),
  tenants: new Map(),
  adminKey: undefined,
};

function failed(backend: string, retried: boolean, reason: UpstreamErrorEvent['reason'] = 'status'): UpstreamErrorEvent {
  return { type: 'upstream_error', ts: 0, requestId: 'r', model: 'm', backend, reason, message: 'HTTP 500', retried };
}

function ended(backend: string, status: number, truncated = false): RequestEvent {
  return {
    type: 'request',
    ts: 0,
    requestId: 'r',
    endpoint: 'chat',
    model: 'm',
    upstreamModel: 'm',
    backend,
    status,
    stream: false,
    durationMs: 5,
    tokens: { input: 1, output: 1, inputSource: 'usage', outputSource: 'usage' },
    bytesOut: 1,
    attempts: 1,
    admitted: true,
    clientAborted: false,
    truncated,
  };
}

const cases: { name: string; events: GatewayEvent[]; want: Record<'a' | 'b', { requests: number; errors: number; routed: number }> }[] = [
  {
    name: 'b failed twice (a refused connection retried on it, then a 500) and a answered',
    events: [failed('b', true, 'connect_error'), failed('b', true), ended('a', 200)],
    want: { a: { requests: 1, errors: 0, routed: 1 }, b: { requests: 0, errors: 2, routed: 2 } },
  },
  {
    name: 'b failed over to a, which failed last: its failure is the request’s outcome, counted once',
    events: [failed('b', true), failed('a', false), ended('a', 502)],
    want: { a: { requests: 1, errors: 1, routed: 1 }, b: { requests: 0, errors: 1, routed: 1 } },
  },
  {
    name: 'a stream cut mid-way: an upstream_error and a truncated request, one error',
    events: [failed('a', false, 'stream_error'), ended('a', 200, true)],
    want: { a: { requests: 1, errors: 1, routed: 1 }, b: { requests: 0, errors: 0, routed: 0 } },
  },
  {
    name: 'b refused by the gateway itself (its connection queue full, the host out of descriptors), a answered: no error of b',
    events: [failed('b', true, 'queue'), failed('b', true, 'local_resources'), ended('a', 200)],
    want: { a: { requests: 1, errors: 0, routed: 1 }, b: { requests: 0, errors: 0, routed: 2 } },
  },
  {
    name: 'an answer at the first attempt',
    events: [ended('b', 200)],
    want: { a: { requests: 0, errors: 0, routed: 0 }, b: { requests: 1, errors: 0, routed: 1 } },
  },
];

describe('each attempt counts once, for the backend it went to', () => {
  it.each(cases)('$name', ({ events, want }) => {
    const stats = new StatsCollector(() => view);
    const metrics = new GatewayMetrics(
      { models: new Set(['m']), backends: new Set(['a', 'b']), tenants: new Set(), upstreamModels: new Set(['m']) },
      () => 0,
    );
    for (const e of events) {
      stats.record(e);
      metrics.record(e);
    }
    const backends = stats.snapshot().models.m!.backends;
    const text = metrics.render();
    for (const name of ['a', 'b'] as const) {
      const line = text.split('\n').find((l) => l.startsWith(`aigw_routed_requests_total{model="m",backend="${name}"}`));
      expect({
        requests: backends[name]!.requests,
        errors: backends[name]!.errors,
        routed: line === undefined ? 0 : Number(line.split(' ').at(-1)),
      }).toEqual(want[name]);
    }
  });
});
