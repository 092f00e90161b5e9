/**
 * `--api anthropic` and the pacer: Anthropic's 429 body says only `rate_limit_error`, so the limit it hit is read
 * from its message — aigw's own Anthropic 429s (rendered here by the limiter and the Anthropic error shape, as
 * the gateway sends them) must teach the bench its in-flight ceiling, and no 429 may print a made-up header.
 */
import { describe, expect, it } from 'vitest';
import { renderAnthropicError } from '../../../src/anthropic/error-shape.js';
import { limitKindOf } from '../../../src/bench/anthropic-api.js';
import { BenchExchange } from '../../../src/bench/exchange.js';
import { Pacer } from '../../../src/bench/pacer.js';
import type { RequestRecord } from '../../../src/bench/record.js';
import type { AigwError } from '../../../src/core/errors.js';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';

/** aigw's refusal of the request after `held` were admitted, for a tenant with these limits. */
async function aigwRefusal(limits: string, tokens: number, held: number): Promise<AigwError> {
  const r = parseProfile(
    `version: 1
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: ${limits} } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const limiter = await Limiter.create(r.profile, new EventBus());
  const tenant = new TenantDirectory(r.profile).tenants.get('acme')!;
  for (let i = 0; i < held; i++) await limiter.admit(tenant, 'm', 1, `lease-${i}`, `req-${i}`);
  const refused = await limiter.admit(tenant, 'm', tokens, 'lease-x', 'req-x');
  await limiter.close();
  if (!('code' in refused)) throw new Error('the limiter admitted the request');
  return refused;
}

/** The record the bench keeps of an Anthropic-path answer (the load scenarios' path: driver → exchange). */
function recordOf(status: number, headers: Record<string, string>, body: string): RequestRecord {
  let out: RequestRecord | undefined;
  const x = new BenchExchange({ stream: false, keepText: false, anthropic: true, origin: performance.now(), done: (r) => (out = r) });
  const controller = { abort() {} } as never;
  x.onRequestStart(controller);
  x.onResponseStart(controller, status, headers);
  x.onResponseData(controller, Buffer.from(body));
  x.onResponseEnd();
  return out!;
}

describe('--api anthropic: the limit a 429 hit', () => {
  it.each([
    ['aigw, concurrency', 'Rate limit reached for acme on concurrency. Try again in 0.050s.', 'concurrency'],
    ['aigw, requests', 'Rate limit reached for acme on requests. Try again in 1.000s.', 'requests'],
    ['aigw, tokens', 'Rate limit reached for acme on tokens (this request reserves 40). Try again in 2.000s.', 'tokens'],
    ['aigw, budget', 'Rate limit for acme on budget (this request may cost up to $0.000100) can never admit this request', 'budget'],
    ['Anthropic, connections', 'Number of concurrent connections has exceeded your rate limit.', 'concurrency'],
    ['Anthropic, request tokens', 'Number of request tokens has exceeded your per-minute rate limit', 'tokens'],
    ['Anthropic, requests', 'Number of requests has exceeded your rate limit.', 'requests'],
    ['a message that names none', 'Slow down.', undefined],
  ])('%s', (_name, message, kind) => expect(limitKindOf(message)).toBe(kind));

  it("learns its in-flight ceiling from aigw's Anthropic-path concurrency 429, and says so without a made-up header", async () => {
    const err = await aigwRefusal('{ concurrency: 16 }', 1, 16);
    const wire = renderAnthropicError(err);
    expect(JSON.parse(wire.body).error.type).toBe('rate_limit_error');
    const rec = recordOf(wire.status, wire.headers, wire.body);
    expect(rec).toMatchObject({ status: 429, code: 'rate_limit_error', errorType: 'concurrency' });
    const said: string[] = [];
    const p = new Pacer(60_000, (l) => said.push(l));
    const held = await Promise.all(Array.from({ length: 16 }, () => p.acquire(1)));
    p.observe(rec);
    expect(p.concurrency).toBe(15);
    expect(said).toEqual([expect.stringMatching(/^429 concurrency: the target limits this key's requests in flight/)]);
    for (const h of held) if (h.ok) h.release();
  });

  it("reads aigw's Anthropic-path token 429 as tokens, with the x-ratelimit headers aigw sends", async () => {
    const err = await aigwRefusal('{ tpm: 100 }', 500, 0);
    const wire = renderAnthropicError(err);
    const rec = recordOf(wire.status, wire.headers, wire.body);
    expect(rec.errorType).toBe('tokens');
    const said: string[] = [];
    new Pacer(60_000, (l) => said.push(l)).observe(rec);
    expect(said.at(-1)).toMatch(/^429 tokens: the target rate-limits this key \(x-ratelimit-remaining-tokens 100/);
  });

  it('says a 429 that names no limit in plain words, never a header built from its type', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } });
    const rec = recordOf(429, { 'retry-after': '1' }, body);
    expect(rec.errorType).toBe('rate_limit_error');
    const said: string[] = [];
    const p = new Pacer(60_000, (l) => said.push(l));
    p.observe(rec);
    p.observe({ status: 429, errorType: 'budget' });
    expect(said).toEqual([
      '429 rate_limit_error: the target rate-limits this key; waiting retry-after before the next paced request',
      '429 budget: the target rate-limits this key; waiting retry-after before the next paced request',
    ]);
    expect(p.concurrency).toBe(Number.POSITIVE_INFINITY);
  });
});
