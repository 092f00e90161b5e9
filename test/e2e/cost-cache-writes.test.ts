/**
 * Anthropic charges prompt tokens written to its cache above input (1.25× for five minutes, 2× for an hour) and
 * tokens read from it far below. A target's `pricing.cacheWrite` prices the writes its usage reports
 * (`cache_creation_input_tokens`); without it they are priced at `input`, as before. Real mocks and a real gateway,
 * the official SDKs as clients: an Anthropic client passed through, an OpenAI client translated, streamed and not.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { parseProfile } from '../../src/profile/load.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const gw = await useGateway(`
version: 1
backends:
  ant: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-backend, mock: { kind: anthropic } }
models:
  priced: { targets: [{ backend: ant, model: claude-up, pricing: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 } }] }
  unpriced-writes: { targets: [{ backend: ant, model: claude-up, pricing: { input: 3, cachedInput: 0.3, output: 15 } }] }
`);

/** The mock splits the prompt into 4 tokens read from its cache and 6 written to it. */
const CACHE = { 'x-mock-cache-read': '4', 'x-mock-cache-write': '6' };
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', defaultHeaders: CACHE });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', defaultHeaders: CACHE });
const messages = [{ role: 'user' as const, content: 'What does a cache write cost?' }];

async function lastEvent(model: string, after: number) {
  const of = () => gw.eventsOf('request').filter((x) => x.model === model);
  await eventually(() => of().length > after);
  return of().at(-1)!;
}

/** The price of `e`'s tokens: 4 read at cachedInput, 6 written at `write`, the rest at input, output at output. */
function expectedUsd(e: { tokens: { input: number; output: number } }, write: number): number {
  return ((e.tokens.input - 10) * 3 + 4 * 0.3 + 6 * write + e.tokens.output * 15) / 1e6;
}

describe('cache writes priced at pricing.cacheWrite', () => {
  const clients = {
    'an Anthropic client, not streamed': (model: string) => anthropic.messages.create({ model, max_tokens: 8, messages }),
    'an Anthropic client, streamed': (model: string) => anthropic.messages.stream({ model, max_tokens: 8, messages }).finalMessage(),
    'an OpenAI client (translated), not streamed': (model: string) => openai.chat.completions.create({ model, max_tokens: 8, messages }),
    'an OpenAI client (translated), streamed': (model: string) =>
      openai.chat.completions.stream({ model, max_tokens: 8, messages, stream_options: { include_usage: true } }).finalChatCompletion(),
  };

  for (const [name, send] of Object.entries(clients)) {
    it(`${name}: writes at cacheWrite; a target without it prices them at input`, async () => {
      for (const [model, write] of [
        ['priced', 3.75],
        ['unpriced-writes', 3],
      ] as const) {
        const before = gw.eventsOf('request').filter((x) => x.model === model).length;
        await send(model);
        const e = await lastEvent(model, before);
        expect(e.cachedInputTokens).toBe(4);
        expect(e.cacheWriteInputTokens).toBe(6);
        expect(e.tokens.input).toBeGreaterThan(10);
        expect(e.costUsd).toBeCloseTo(expectedUsd(e, write), 12);
      }
    });
  }

  it('counts the writes in gen_ai_client_token_usage{gen_ai_token_type="cache_creation_input"}', async () => {
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const sum = metrics.match(/^gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="cache_creation_input"[^}]*\} (\S+)$/gm) ?? [];
    const total = sum.reduce((a, line) => a + Number(line.split(' ').at(-1)), 0);
    // Eight answers (four clients, two models), six tokens written each.
    expect(total).toBe(8 * 6);
  });
});

/** The next answer's usage, as the scripted Anthropic backend will report it. */
let usage: Record<string, unknown> = { input_tokens: 5, output_tokens: 2 };
const up = await useUpstream((_req, res) =>
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(anthropicTextMessage('ok', usage as { input_tokens: number; output_tokens: number })),
);
const liar = await useGateway(
  `
version: 1
backends:
  ant: { url: "{{ant}}", kind: anthropic, apiKey: sk-ant-backend }
models:
  m: { targets: [{ backend: ant, model: claude-up, pricing: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 } }] }
`,
  { ant: up.url },
);

describe('cache counts a backend makes up', () => {
  const ask = async (u: Record<string, unknown>) => {
    usage = u;
    const before = liar.eventsOf('request').length;
    const r = await fetch(`${liar.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'unused', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    await eventually(() => liar.eventsOf('request').length > before);
    return liar.eventsOf('request').at(-1)!;
  };

  it('10^14 writes: held to what the request could hold, the cost finite and bounded with it', async () => {
    const e = await ask({ input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: 1e14 });
    expect(e.tokens.input).toBeLessThan(10_000);
    expect(e.cacheWriteInputTokens).toBe(e.tokens.input);
    expect(e.costUsd).toBeCloseTo((e.tokens.input * 3.75 + 2 * 15) / 1e6, 12);
  });

  it('a write count that is no count (a string, negative, past 15 digits) is no write: the prompt priced at input', async () => {
    for (const written of ['6', -6, 1e15, null]) {
      const e = await ask({ input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: written });
      expect(e.cacheWriteInputTokens).toBeUndefined();
      expect(e.tokens.input).toBe(5);
      expect(e.costUsd).toBeCloseTo((5 * 3 + 2 * 15) / 1e6, 12);
    }
  });

  it('a fractional write count is floored, as every count is', async () => {
    const e = await ask({ input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: 2.5 });
    expect(e.cacheWriteInputTokens).toBe(2);
    expect(e.costUsd).toBeCloseTo((5 * 3 + 2 * 3.75 + 2 * 15) / 1e6, 12);
  });
});

describe('a profile cacheWrite price', () => {
  it.each([
    ['-1', 'cacheWrite'],
    ['2000000', 'cacheWrite'],
    ['"cheap"', 'cacheWrite'],
  ])('cacheWrite: %s is refused, naming the field', (value, field) => {
    const r = parseProfile(
      `version: 1
backends:
  ant: { url: "http://127.0.0.1:9", kind: anthropic }
models:
  m: { targets: [{ backend: ant, pricing: { input: 3, output: 15, cacheWrite: ${value} } }] }
`,
      'p.yaml',
      {},
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain(`models.m.targets[0].pricing.${field}`);
  });
});
