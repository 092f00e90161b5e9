/**
 * The vLLM mock's simulated prefix cache and its runtime pace control, on real sockets, judged by the
 * official `openai` client: cached_tokens in bodies and streamed usage, TTFT that pays only for uncached
 * prompt tokens, /mock/stats prefixCache, /mock/control, /mock/reset and vLLM's /reset_prefix_cache.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { beforeAll, describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';
import { schemaErrors, specAvailable } from '../helpers/openapi.js';

const MODEL = 'mock-model';
const SYSTEM = 'You are a careful assistant who answers in one short paragraph. '.repeat(80);

interface PrefixStats {
  enabled: boolean;
  unit: string;
  hits: number;
  misses: number;
  hitRate: number;
  prefillTokens: { computed: number; saved: number };
  blocks?: { capacity: number; resident: number; hits: number; misses: number; evictions: number; blockTokens: number };
}
interface Stats {
  prefixCache: PrefixStats;
  pace: { ttft: number; tokensPerSecond: number; prefillPerToken: number; slowdown: number };
}

// Parsing the spec blocks the loop for seconds; done first, it cannot outlast a keep-alive socket mid-test.
beforeAll(() => {
  if (specAvailable) schemaErrors('CreateChatCompletionResponse', {});
});

const cached = await useMock({ name: 'cached', kind: 'vllm', prefixCache: { blocks: 4096, blockTokens: 16, prefillPerToken: 0.5 } });
const plain = await useMock({ name: 'plain', kind: 'vllm' });
const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
const stats = async (url: string) => (await (await fetch(`${url}/mock/stats`)).json()) as Stats;
const reset = (url: string) => fetch(`${url}/mock/reset`, { method: 'POST' });

/** Milliseconds until the first content chunk of a streamed chat, and the stream's usage. */
async function streamed(url: string, messages: ChatCompletionMessageParam[], headers: Record<string, string> = {}) {
  const started = performance.now();
  const stream = await client(url).chat.completions.create(
    { model: MODEL, messages, max_tokens: 8, stream: true, stream_options: { include_usage: true } },
    { headers },
  );
  let ttft: number | undefined;
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    if (specAvailable) expect(schemaErrors('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
    const delta = chunk.choices[0]?.delta.content;
    if (delta) {
      ttft ??= performance.now() - started;
      text += delta;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { ttft: ttft!, text, usage: usage! };
}

describe('the simulated prefix cache', () => {
  it('reports cached_tokens, and the cold prompt pays prefill while the warm one does not', async () => {
    await reset(cached.url);
    // 2 ms a prefill token for this test (the profile's 0.5 is restored by the reset at its end): ~1000 uncached
    // tokens take 2 s, the warm prompt's < 16 uncached ones ~30 ms, and the 500 ms between them outlasts a stall.
    const PREFILL = 2;
    expect((await postJson(`${cached.url}/mock/control`, { prefillPerToken: PREFILL })).status).toBe(200);
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'What is a canary release?' },
    ];
    const cold = await streamed(cached.url, messages);
    const warm = await streamed(cached.url, messages);
    expect(cold.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    const blocks = Math.floor((warm.usage.prompt_tokens - 1) / 16);
    expect(warm.usage.prompt_tokens_details?.cached_tokens).toBe(blocks * 16);
    // ~1000 uncached tokens × 2 ms: a timer never fires early, so the cold TTFT is at least that.
    expect(cold.ttft).toBeGreaterThanOrEqual(cold.usage.prompt_tokens * PREFILL * 0.95);
    expect(warm.ttft).toBeLessThan(cold.ttft / 4);
    const s = (await stats(cached.url)).prefixCache;
    expect(s).toMatchObject({ enabled: true, unit: 'tokens', hits: blocks * 16, misses: 2 * cold.usage.prompt_tokens - blocks * 16 });
    expect(s.prefillTokens).toEqual({ computed: s.misses, saved: s.hits });
    expect(s.hitRate).toBeCloseTo(s.hits / (s.hits + s.misses));
    await reset(cached.url);
  });

  it('caches a multi-turn conversation through its answers: turn n+1 reuses turn n, answer included', async () => {
    await reset(cached.url);
    const llm = client(cached.url);
    const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: SYSTEM }];
    let previous = 0;
    for (let turn = 0; turn < 4; turn++) {
      messages.push({ role: 'user', content: `Question number ${turn}: what happens next?` });
      const r = await llm.chat.completions.create({ model: MODEL, messages, max_tokens: 40, seed: turn });
      if (specAvailable) expect(schemaErrors('CreateChatCompletionResponse', r)).toEqual([]);
      const hit = r.usage!.prompt_tokens_details!.cached_tokens!;
      if (turn > 0) {
        // Everything up to the end of the previous answer is cached (in whole blocks).
        expect(hit).toBe(Math.floor(previous / 16) * 16);
      }
      previous = r.usage!.prompt_tokens + r.usage!.completion_tokens;
      messages.push({ role: 'assistant', content: r.choices[0]!.message.content! });
    }
  });

  it('forgets everything on /mock/reset and on vLLM /reset_prefix_cache', async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: SYSTEM }];
    const llm = client(cached.url);
    const hit = async () => (await llm.chat.completions.create({ model: MODEL, messages, max_tokens: 1 })).usage!.prompt_tokens_details!;
    await hit();
    expect((await hit()).cached_tokens).toBeGreaterThan(0);
    expect((await fetch(`${cached.url}/reset_prefix_cache`, { method: 'POST' })).status).toBe(200);
    expect((await hit()).cached_tokens).toBe(0);
    await reset(cached.url);
    expect((await stats(cached.url)).prefixCache).toMatchObject({ hits: 0, misses: 0, blocks: { resident: 0 } });
    expect((await hit()).cached_tokens).toBe(0);
  });

  it('keys the cache by model: the same prompt for another model is a miss', async () => {
    await reset(cached.url);
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: SYSTEM }];
    const llm = client(cached.url);
    await llm.chat.completions.create({ model: 'model-a', messages, max_tokens: 1 });
    const other = await llm.chat.completions.create({ model: 'model-b', messages, max_tokens: 1 });
    expect(other.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });

  it('works for text completions too', async () => {
    await reset(cached.url);
    const llm = client(cached.url);
    await llm.completions.create({ model: MODEL, prompt: SYSTEM, max_tokens: 1 });
    const r = await llm.completions.create({ model: MODEL, prompt: SYSTEM, max_tokens: 1 });
    expect(r.usage!.prompt_tokens_details?.cached_tokens).toBe(Math.floor((r.usage!.prompt_tokens - 1) / 16) * 16);
  });

  it('without a prefix cache: no cached count in usage, and every prompt token counted as computed', async () => {
    await reset(plain.url);
    const r = await client(plain.url).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    expect(r.usage!.prompt_tokens_details).toBeUndefined();
    expect((await stats(plain.url)).prefixCache).toEqual({
      enabled: false,
      unit: 'tokens',
      hits: 0,
      misses: r.usage!.prompt_tokens,
      hitRate: 0,
      prefillTokens: { computed: r.usage!.prompt_tokens, saved: 0 },
    });
  });
});

describe('the runtime pace control', () => {
  const control = async (body: unknown) => postJson(`${plain.url}/mock/control`, body);

  it('slows a running mock down and lets it recover, visible in /mock/stats', async () => {
    // A 5 ms TTFT slowed 500×: 2.5 s. The fast cases must stay under 500 ms, a hundred times their TTFT and a fifth
    // of the slow one: a busy machine's stall of a few hundred ms cannot push a fast answer over, nor a missing
    // slowdown push a slow one under (with 60 ms × 10 the bound was 200 ms, and a fast answer under load took 202).
    const SLOW = 5 * 500;
    const FAST_UNDER = SLOW / 5;
    await reset(plain.url);
    expect((await control({ ttft: '5ms' })).status).toBe(200);
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'pace me' }];
    const normal = await streamed(plain.url, messages);
    expect(normal.ttft).toBeLessThan(FAST_UNDER);
    const r = await control({ slowdown: 500 });
    expect(await r.json()).toMatchObject({ pace: { ttft: 5, slowdown: 500 }, initial: { ttft: 0, slowdown: 1 } });
    expect((await stats(plain.url)).pace).toMatchObject({ ttft: 5, slowdown: 500 });
    const slow = await streamed(plain.url, messages);
    // A timer never fires early: slowed, the first token cannot come before 2.5 s.
    expect(slow.ttft).toBeGreaterThanOrEqual(SLOW * 0.95);
    expect(slow.text).toBe(normal.text);
    await control({ slowdown: 1 });
    expect((await streamed(plain.url, messages)).ttft).toBeLessThan(FAST_UNDER);
  });

  it('answers the current pace on GET, and /mock/reset restores the profile pace', async () => {
    await control({ slowdown: 3, tokensPerSecond: 50 });
    expect(await (await fetch(`${plain.url}/mock/control`)).json()).toMatchObject({ pace: { slowdown: 3, tokensPerSecond: 50 } });
    await reset(plain.url);
    expect((await stats(plain.url)).pace).toEqual({ ttft: 0, tokensPerSecond: 0, prefillPerToken: 0, slowdown: 1 });
  });

  const bad: [string, string][] = [
    ['an unknown field', '{"slow":2}'],
    ['a negative slowdown', '{"slowdown":-2}'],
    ['a bad duration', '{"ttft":"fast"}'],
    ['not JSON', '{"slowdown":'],
    ['a JSON array', '[1]'],
  ];
  it.each(bad)('refuses %s with vLLM’s 400 error shape and leaves the pace alone', async (_name, body) => {
    await reset(plain.url);
    const r = await fetch(`${plain.url}/mock/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(400);
    const err = ((await r.json()) as { error: { code: number; type: string; message: string } }).error;
    expect(err).toMatchObject({ code: 400, type: 'BadRequestError' });
    expect((await stats(plain.url)).pace.slowdown).toBe(1);
  });
});
