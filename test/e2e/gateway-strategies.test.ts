/**
 * Routing strategies, cost and budgets end to end: real mocks and a real gateway on 127.0.0.1, the official
 * `openai` client as the judge — the canary split under every strategy, prefix locality measured by the
 * mocks' own prefill counts, latency moving off a slowed replica, cost and escalation, what an answer cost
 * (event, /aigw/stats, /metrics) and a tenant budget's 429.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { inParallel } from '../helpers/load.js';

const STRATEGIES = ['weighted', 'least-request', 'latency', 'prefix', 'cost'] as const;
const PRICE = 'pricing: { input: 1, cachedInput: 0.5, output: 2 }';
const replica = 'mock: { kind: vllm, models: [llama], prefixCache: { blocks: 4096 } }';

const canaries = STRATEGIES.map(
  (s) => `  canary-${s}:
    strategy: ${s}
    targets:
      - { backend: r1, model: llama, weight: 10, ${PRICE} }
      - { backend: r2, model: llama, weight: 10, ${PRICE} }
      - { backend: r3, model: llama, weight: 10, ${PRICE} }
      - { backend: canary, model: llama, weight: 1, ${PRICE} }`,
).join('\n');

const gw = await useGateway(`
version: 1
limits: { defaultCompletionTokens: 16 }
backends:
  r1: { url: http://127.0.0.1:0, ${replica} }
  r2: { url: http://127.0.0.1:0, ${replica} }
  r3: { url: http://127.0.0.1:0, ${replica} }
  r4: { url: http://127.0.0.1:0, ${replica} }
  canary: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [llama] } }
  fast: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [llama], ttft: 20ms } }
  slow: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [llama], ttft: 20ms } }
  lost: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [other] } }
  cheap: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [small] } }
  dear: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [small] } }
  big: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [large] } }
models:
${canaries}
  chat-weighted:
    targets: [{ backend: r1, model: llama }, { backend: r2, model: llama }, { backend: r3, model: llama }, { backend: r4, model: llama }]
  chat-prefix:
    strategy: prefix
    targets:
      - { backend: r1, model: llama, ${PRICE} }
      - { backend: r2, model: llama, ${PRICE} }
      - { backend: r3, model: llama, ${PRICE} }
      - { backend: r4, model: llama, ${PRICE} }
  chat-latency:
    strategy: latency
    targets: [{ backend: fast, model: llama }, { backend: slow, model: llama }]
  chat-latency-lost:
    strategy: latency
    targets: [{ backend: fast, model: llama }, { backend: lost, model: llama }]
  chat-cost:
    strategy: cost
    targets:
      - { backend: cheap, model: small, contextWindow: 600, pricing: { input: 0.1, output: 0.2 } }
      - { backend: dear, model: small, pricing: { input: 3, output: 15 } }
    escalate: [{ when: { promptTokens: ">3000" }, model: chat-large }]
  chat-large:
    targets: [{ backend: big, model: large, pricing: { input: 5, output: 25 } }]
tenants:
  acme: { keys: [sk-acme], limits: { budget: { usd: 0.0005, per: 1m } } }
  free: { keys: [sk-free] }
`);

const client = (apiKey = 'sk-free') => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
const served = (r: { system_fingerprint?: string | null }) => String(r.system_fingerprint);
const resetMocks = (names: string[]) => Promise.all(names.map((n) => fetch(`${gw.mocks[n]!.url}/mock/reset`, { method: 'POST' })));
const REPLICAS = ['r1', 'r2', 'r3', 'r4'];

describe('the canary contract holds under every strategy', () => {
  it.each(STRATEGIES)('%s: 3 replicas of weight 10 and a canary of weight 1 → exactly 3 of 93 requests to the canary', async (s) => {
    const llm = client();
    const rs = await inParallel(93, 8, (i) =>
      llm.chat.completions.create({ model: `canary-${s}`, messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 2 }),
    );
    const by = rs.map(served);
    expect(by.filter((b) => b === 'canary')).toHaveLength(3);
    // The smart choice happens among the replicas, which share the other 90.
    expect(new Set(by.filter((b) => b !== 'canary')).size).toBeGreaterThan(1);
  });
});

describe('prefix', () => {
  /**
   * 9 conversations of 4 turns, each with its own 3,000-character context, turns interleaved across
   * conversations. Nine, not eight: with four replicas, a rotation over a multiple of four would send each
   * conversation to the same replica every turn and make `weighted` look sticky.
   */
  async function conversations(model: string): Promise<{ computed: number; cachedSeen: number; homes: number }> {
    await resetMocks(REPLICAS);
    const llm = client();
    const chats: ChatCompletionMessageParam[][] = Array.from({ length: 9 }, (_, c) => [
      { role: 'system', content: `Conversation ${c}. ${`Background fact ${c} about routing and caches. `.repeat(70)}` },
    ]);
    const homes = new Map<number, Set<string>>();
    let cachedSeen = 0;
    for (let turn = 0; turn < 4; turn++) {
      await inParallel(chats.length, 4, async (c) => {
        const messages = chats[c]!;
        messages.push({ role: 'user', content: `Turn ${turn} of conversation ${c}: and then?` });
        const r = await llm.chat.completions.create({ model, messages, max_tokens: 12, seed: c });
        cachedSeen += r.usage?.prompt_tokens_details?.cached_tokens ?? 0;
        messages.push({ role: 'assistant', content: r.choices[0]!.message.content! });
        if (turn > 0) homes.set(c, (homes.get(c) ?? new Set()).add(served(r)));
      });
    }
    let computed = 0;
    for (const n of REPLICAS)
      computed += ((await (await fetch(`${gw.mocks[n]!.url}/mock/stats`)).json()) as MockPrefill).prefixCache.misses;
    return { computed, cachedSeen, homes: [...homes.values()].reduce((a, s) => a + s.size, 0) / homes.size };
  }

  it('keeps each conversation where its prefix is cached: at most half the prefill tokens weighted computes', async () => {
    const weighted = await conversations('chat-weighted');
    const prefix = await conversations('chat-prefix');
    // From the mocks' own counts: prompt tokens computed rather than served from their caches.
    expect(prefix.computed).toBeLessThanOrEqual(weighted.computed / 2);
    expect(prefix.cachedSeen).toBeGreaterThan(weighted.cachedSeen);
    // Later turns of one conversation stay on one replica (weighted rotates them over all four).
    expect(prefix.homes).toBeLessThan(1.5);
    expect(weighted.homes).toBeGreaterThan(2);
  });

  it('prices cached input at its own rate in the request event', async () => {
    const last = gw
      .eventsOf('request')
      .filter((e) => e.model === 'chat-prefix' && (e.cachedInputTokens ?? 0) > 0)
      .at(-1)!;
    const uncached = last.tokens.input - last.cachedInputTokens!;
    expect(last.costUsd).toBeCloseTo((uncached * 1 + last.cachedInputTokens! * 0.5 + last.tokens.output * 2) / 1e6, 12);
  });
});

describe('prefix for Anthropic clients', () => {
  it('hashes a Messages request with its system prompt: the same conversation keeps its replica', async () => {
    const anthropic = new Anthropic({ apiKey: 'sk-free', baseURL: gw.url, maxRetries: 0 });
    const system = `An Anthropic client's long system prompt. ${'It sets the scene for the model. '.repeat(40)}`;
    const homes = new Set<string>();
    for (let turn = 0; turn < 4; turn++) {
      const { data, response } = await anthropic.messages
        .create({ model: 'chat-prefix', system, max_tokens: 4, messages: [{ role: 'user', content: 'hello' }] })
        .withResponse();
      expect(data.type).toBe('message');
      homes.add(response.headers.get('x-aigw-backend') ?? 'none');
    }
    // The first lands anywhere; the prefix index brings every repeat back to it (the others hold nothing of it).
    expect(homes.size).toBe(1);
  });
});

describe('routing state across a reload', () => {
  it('keeps the prefix index: after a reload, each conversation still goes where its prefix is', async () => {
    const llm = client();
    const chats: ChatCompletionMessageParam[][] = [0, 1, 2].map((c) => [
      { role: 'system', content: `Reload conversation ${c}. ${`Context line ${c} for the reload check. `.repeat(40)}` },
      { role: 'user', content: 'first turn' },
    ]);
    const ask = (messages: ChatCompletionMessageParam[]) => llm.chat.completions.create({ model: 'chat-prefix', messages, max_tokens: 4 });
    const before = await Promise.all(chats.map(ask));
    expect((await gw.stack.reload(gw.stack.profile())).ok).toBe(true);
    const after = await Promise.all(
      chats.map((m, c) =>
        ask([...m, { role: 'assistant', content: before[c]!.choices[0]!.message.content! }, { role: 'user', content: 'next' }]),
      ),
    );
    // Without the index (a fresh one per reload), idle replicas tie and each turn would land anywhere.
    expect(after.map(served)).toEqual(before.map(served));
  });
});

interface MockPrefill {
  prefixCache: { misses: number; hits: number };
}

describe('latency', () => {
  it('moves new requests off a replica that became 10× slower', async () => {
    await resetMocks(['fast', 'slow']);
    const llm = client();
    const ask = () => llm.chat.completions.create({ model: 'chat-latency', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
    await inParallel(10, 2, ask);
    const slowed = await fetch(`${gw.mocks.slow!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ slowdown: 10 }) });
    expect(slowed.status).toBe(200);
    try {
      // The first slow answer raises its estimate at once (peak EWMA); from then on the slow one gets little.
      await inParallel(6, 2, ask);
      const after = await inParallel(30, 2, ask);
      const toSlow = after.filter((r) => served(r) === 'slow').length;
      expect(toSlow / after.length).toBeLessThanOrEqual(0.2);
    } finally {
      await fetch(`${gw.mocks.slow!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    }
  });

  it('does not send the traffic to a replica that answers 404 at once while its peer answers 200', async () => {
    // `lost` does not serve the model: its 404 comes back in a millisecond, and it is not a failover status
    // (nor an ejection), so only the latency feedback keeps the client's requests off it.
    const llm = client();
    const outcomes: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await llm.chat.completions
        .create({ model: 'chat-latency-lost', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 })
        .then(served, (e: { status?: number }) => String(e.status));
      outcomes.push(r);
    }
    expect(outcomes.filter((o) => o === '404').length / outcomes.length).toBeLessThanOrEqual(0.1);
    expect(outcomes.filter((o) => o === 'fast').length).toBeGreaterThanOrEqual(54);
  });
});

describe('cost and escalation', () => {
  const ask = (content: string, max_tokens = 16) =>
    client().chat.completions.create({ model: 'chat-cost', messages: [{ role: 'user', content }], max_tokens });

  it('sends what fits the cheap model there, what does not to the dearer one, and long prompts to the escalation model', async () => {
    expect(served(await ask('a short question'))).toBe('cheap');
    // ~700 estimated tokens + 16 do not fit a 600-token window.
    expect(served(await ask('word '.repeat(560)))).toBe('dear');
    const escalated = await ask('word '.repeat(3000));
    expect(served(escalated)).toBe('big');
    expect(escalated.model).toBe('large');
    await eventually(() => gw.eventsOf('request').some((e) => e.routedModel === 'chat-large'));
    const e = gw.eventsOf('request').find((x) => x.routedModel === 'chat-large')!;
    expect(e).toMatchObject({ model: 'chat-cost', backend: 'big', upstreamModel: 'large' });
    expect(e.costUsd).toBeCloseTo((e.tokens.input * 5 + e.tokens.output * 25) / 1e6, 12);
  });

  it('reports the spend in /aigw/stats and aigw_cost_usd_total, with the original model on gen_ai metrics', async () => {
    const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as {
      models: Record<string, { costUsd: number; backends: Record<string, { costUsd: number }> }>;
      tenants: Record<string, { costUsd: number }>;
    };
    const spent = gw
      .eventsOf('request')
      .filter((e) => e.model === 'chat-cost')
      .reduce((a, e) => a + (e.costUsd ?? 0), 0);
    expect(stats.models['chat-cost']!.costUsd).toBeCloseTo(spent, 9);
    expect(stats.models['chat-cost']!.backends.big!.costUsd).toBeGreaterThan(0);
    expect(stats.tenants.free!.costUsd).toBeGreaterThan(0);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('aigw_cost_usd_total{tenant="free",model="chat-cost",backend="big"}'));
    expect(Number(line?.split(' ').at(-1))).toBeGreaterThan(0);
    expect(metrics).toMatch(/gen_ai_original_model="chat-cost",gen_ai_request_model="large"/);
    expect(metrics).toMatch(/gen_ai_token_type="cached_input"/);
  });
});

describe('budgets', () => {
  it('admits while the reserved cost fits, then answers 429 with error.type budget and an honest retry-after', async () => {
    const acme = client('sk-acme');
    const ask = () =>
      acme.chat.completions.create({ model: 'chat-prefix', messages: [{ role: 'user', content: 'a small question' }], max_tokens: 100 });
    let admitted = 0;
    let refusal: InstanceType<typeof OpenAI.APIError> | undefined;
    for (let i = 0; i < 20 && !refusal; i++) {
      try {
        await ask();
        admitted++;
      } catch (e) {
        if (!(e instanceof OpenAI.APIError)) throw e;
        refusal = e;
      }
    }
    // $0.0005 at about $0.0002 reserved (prompt bound + 100 × $2/M) and about $0.0002 spent per request.
    expect(admitted).toBeGreaterThanOrEqual(1);
    expect(admitted).toBeLessThanOrEqual(3);
    expect(refusal).toMatchObject({ status: 429, type: 'budget', code: 'rate_limit_exceeded' });
    const retry = Number(refusal?.headers?.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(61);
    expect(gw.eventsOf('ratelimit').at(-1)).toMatchObject({ tenant: 'acme', kind: 'budget' });
    const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as {
      tenants: Record<string, { budget: { usedUsd: number; limitUsd: number; perMs: number } | null }>;
    };
    expect(stats.tenants.acme!.budget).toMatchObject({ limitUsd: 0.0005, perMs: 60_000 });
    expect(stats.tenants.acme!.budget!.usedUsd).toBeGreaterThan(0);
    expect(stats.tenants.free!.budget).toBeNull();
  });
});
