/**
 * The admit and settle stages with the memory store: they answer at once, with no promise on a request's
 * path (each one an allocation and a microtask per request), yet still charge what was used, and wait only
 * when a prompt has to be counted off the event loop.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { RequestRecord } from '../../../src/events/request-record.js';
import { forgetBody, parseProxyRequest } from '../../../src/openai/parse-request.js';
import { parseProfile } from '../../../src/profile/load.js';
import { type Admitted, admit, type PromptCounter } from '../../../src/tenants/admission.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { LEFT_PART_TOKENS } from '../../../src/tenants/prompt-bound.js';
import { Limiter } from '../../../src/tenants/limiter.js';

async function setup() {
  const r = parseProfile(
    `version: 1
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { tpm: 1000, rpm: 100, concurrency: 1 } } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const limiter = await Limiter.create(r.profile, new EventBus());
  const tenant = new TenantDirectory(r.profile).tenants.get('acme')!;
  const parsed = parseProxyRequest(
    'chat',
    Buffer.from('{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":10}'),
    'application/json',
  );
  if (!parsed.ok) throw new Error(parsed.error.message);
  const counted: string[] = [];
  const payloads: unknown[] = [];
  const counter: PromptCounter = {
    count: async (kind, payload) => {
      counted.push(kind);
      payloads.push(payload);
      return { tokens: 7, exact: true };
    },
  };
  const policy = { defaultCompletionTokens: 16, leaseRenewMs: undefined };
  const admitOne = (id: string) => admit(limiter, tenant, parsed.value, policy, counter, id);
  return { limiter, admitOne, counted, payloads, parsed: parsed.value };
}

function answered(inputTokens: number | undefined): RequestRecord {
  const record = new RequestRecord('req-1');
  record.status = 200;
  record.outputTokens = 3;
  record.outputSource = 'usage';
  if (inputTokens !== undefined) {
    record.inputTokens = inputTokens;
    record.inputSource = 'usage';
  }
  return record;
}

describe('admission with the memory store', () => {
  it('admits without a promise, and a settle with the usage reported charges without one', async () => {
    const { limiter, admitOne, counted } = await setup();
    const a = admitOne('req-1');
    expect(a).not.toBeInstanceOf(Promise);
    const admitted = a as Admitted;
    expect(admitted.headers?.['x-ratelimit-remaining-requests']).toBe('99');
    // Concurrency 1: the lease is held until the settle stage frees it.
    expect(admitOne('req-2')).toMatchObject({ code: 'rate_limit_exceeded', type: 'concurrency' });
    expect(admitted.settle(answered(5))).toBeUndefined();
    expect(counted).toEqual([]);
    const next = admitOne('req-3') as Admitted;
    // 5 + 3 tokens charged for the first request, the second's estimate reserved now.
    expect(Number(next.headers?.['x-ratelimit-remaining-tokens'])).toBeLessThan(1000 - 8);
    await limiter.close();
  });

  it('waits only when the prompt must be counted off the event loop, and still frees the lease', async () => {
    const { limiter, admitOne, counted } = await setup();
    const admitted = admitOne('req-1') as Admitted;
    const settling = admitted.settle(answered(undefined));
    expect(settling).toBeInstanceOf(Promise);
    // The concurrency slot frees before the count ends.
    expect(admitOne('req-2')).not.toHaveProperty('code');
    await settling;
    expect(counted).toEqual(['chat']);
    await limiter.close();
  });

  it('hands the tokenizer thread only the sent bytes, never the shared pool a small Buffer is a view into', async () => {
    const { limiter, admitOne, payloads, parsed } = await setup();
    const admitted = admitOne('req-1') as Admitted;
    const sent = Buffer.from('{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":10}');
    // A small Buffer made from a string is a slice of Node's 8 KiB pool: posting it would copy the whole pool.
    expect(sent.buffer.byteLength).toBeGreaterThan(sent.byteLength);
    forgetBody(parsed, sent);
    await admitted.settle(answered(undefined));
    const posted = (payloads[0] as { fromBody: Uint8Array }).fromBody;
    expect(posted.buffer.byteLength).toBe(sent.byteLength);
    expect(Buffer.from(posted).equals(sent)).toBe(true);
    await limiter.close();
  });
});

describe('a prompt the tokenizer thread could not count in time', () => {
  it('is charged its estimate, and the record says that charge: the event, its cost and the metrics read it', async () => {
    const r = parseProfile(
      `version: 1
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { tpm: 100000 } } }
`,
      'p.yaml',
      {},
    );
    if (!r.ok) throw new Error('profile');
    const tpmLimiter = await Limiter.create(r.profile, new EventBus());
    const tenant = new TenantDirectory(r.profile).tenants.get('acme')!;
    const body = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'word '.repeat(3000) }], max_tokens: 10 }));
    const parsed = parseProxyRequest('chat', body, 'application/json');
    if (!parsed.ok) throw new Error(parsed.error.message);
    // The thread's queue full, or the count past its wait: no count.
    const busy: PromptCounter = { count: async () => undefined };
    const policy = { defaultCompletionTokens: 16, leaseRenewMs: undefined };
    const admitted = admit(tpmLimiter, tenant, parsed.value, policy, busy, 'req-busy') as Admitted;
    const record = new RequestRecord('req-busy');
    record.status = 200;
    record.outputTokens = 3;
    record.outputSource = 'usage';
    record.pricing = { input: 1, output: 1 };
    await admitted.settle(record);
    const estimate = Math.ceil(body.length / 3);
    // Before: inputSource 'none', input 0 and a cost of the output alone, while the tenant was charged the estimate.
    expect(record.inputSource).toBe('estimate');
    expect(record.inputTokens).toBe(estimate);
    expect(record.costUsd).toBeCloseTo((estimate + 3) / 1e6, 12);
    expect(record.countNote).toContain('not counted');
    // What the tenant was charged is that count: the next admission's remaining tokens say it.
    const next = admit(tpmLimiter, tenant, parsed.value, policy, busy, 'req-next') as Admitted;
    expect(Number(next.headers?.['x-ratelimit-remaining-tokens'])).toBe(100000 - (estimate + 3) - (estimate + 10));
    await tpmLimiter.close();
  });
});

describe('a prompt count that fails', () => {
  it('still settles: the answer is charged what it used, not left at its reservation', async () => {
    const r = parseProfile(
      `version: 1
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { tpm: 100000 } } }
`,
      'p.yaml',
      {},
    );
    if (!r.ok) throw new Error('profile');
    const limiter = await Limiter.create(r.profile, new EventBus());
    const tenant = new TenantDirectory(r.profile).tenants.get('acme')!;
    const body = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'word '.repeat(300) }], max_tokens: 10 }));
    const parsed = parseProxyRequest('chat', body, 'application/json');
    if (!parsed.ok) throw new Error(parsed.error.message);
    // The tokenizer thread failing (it could not start): the count rejects.
    const failing: PromptCounter = { count: () => Promise.reject(new Error('worker gone')) };
    const policy = { defaultCompletionTokens: 16, leaseRenewMs: undefined };
    const admitted = admit(limiter, tenant, parsed.value, policy, failing, 'req-1') as Admitted;
    const record = new RequestRecord('req-1');
    record.status = 200;
    record.outputTokens = 3;
    record.outputSource = 'usage';
    await admitted.settle(record);
    const estimate = Math.ceil(body.length / 3);
    // Before: the charge never ran, and the reservation (estimate + max_tokens 10) stood in place of the 3 tokens used.
    const next = admit(limiter, tenant, parsed.value, policy, failing, 'req-2') as Admitted;
    expect(Number(next.headers?.['x-ratelimit-remaining-tokens'])).toBe(100000 - (estimate + 3) - (estimate + 10));
    await limiter.close();
  });
});

describe('a request of images left before any answer', () => {
  it("pays its images beside its reservation from the tenant's budget, at the dearest prompt price it could reach", async () => {
    const r = parseProfile(
      `version: 1
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { budget: { usd: 0.1, per: 1h } } } }
`,
      'p.yaml',
      {},
    );
    if (!r.ok) throw new Error('profile');
    const limiter = await Limiter.create(r.profile, new EventBus());
    const tenant = new TenantDirectory(r.profile).tenants.get('acme')!;
    const image = { type: 'image_url', image_url: { url: 'http://i/x.png' } };
    const body = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: [image, image] }], max_tokens: 10 }));
    const parsed = parseProxyRequest('chat', body, 'application/json');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const policy = { defaultCompletionTokens: 16, leaseRenewMs: undefined };
    const counter: PromptCounter = { count: async () => ({ tokens: 1, exact: true }) };
    // Two targets: the dearer prompt price (10 micro-dollars a token) is the one its images are charged at.
    const prices = [
      { input: 1, output: 1 },
      { input: 10, output: 1 },
    ];
    const admitted = admit(limiter, tenant, parsed.value, policy, counter, 'req-left', prices) as Admitted;
    const record = new RequestRecord('req-left');
    record.workedUnmetered = true;
    await admitted.settle(record);
    const imagesMicroUsd = 2 * LEFT_PART_TOKENS * 10;
    // $0.1 is 100,000 micro-dollars: what is left is below 100,000 − the images' 32,000, so a request bound to that
    // is refused; charged its reservation alone (a few hundred), it was admitted.
    expect(limiter.admit(tenant, 'm', 1, 'lease-next', 'req-next', 100_000 - imagesMicroUsd)).toMatchObject({ type: 'budget' });
    expect('code' in (limiter.admit(tenant, 'm', 1, 'lease-small', 'req-small', 1_000) as object)).toBe(false);
    await limiter.close();
  });
});
