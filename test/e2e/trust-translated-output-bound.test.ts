/**
 * An OpenAI client's request translated for an Anthropic backend is sent with a max_tokens — its max_completion_tokens,
 * its max_tokens, or 4,096 when it names neither (Anthropic requires one) — and an Anthropic backend generates no more
 * than that. The settle stage bounds a backend's output count by what the request could generate, but read that
 * bound off the client's body alone, where such a request names none (max_completion_tokens alone bounds nothing on an
 * OpenAI-compatible backend that reads max_tokens alone): a backend claiming 16,000,000 output tokens, streamed or not,
 * was charged them — 2^24 was the only bound — its tenant 160 windows of a 100,000 tpm in debt and ~$240 at
 * $15 / Mtok, per request. (attacker review)
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent, anthropicMessage, messageStart } from '../helpers/anthropic-sse.js';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useStreamOrBodyUpstream } from '../helpers/upstream.js';

/** A tenant each case: one's debt is not the other's. */
const KEYS = ['sk-tenant-translated-output-bound-1', 'sk-tenant-translated-output-bound-2'] as const;
const CLAIMED = 16_000_000;

const message = anthropicMessage([{ type: 'text', text: 'ok' }], 'end_turn', { input_tokens: 10, output_tokens: CLAIMED });
const stream =
  messageStart({ input_tokens: 10, output_tokens: 1 }) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'ok' } }) +
  anthropicEvent('content_block_stop', { index: 0 }) +
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: CLAIMED } }) +
  anthropicEvent('message_stop', {});

const up = await useStreamOrBodyUpstream(stream, message);
const gw = await useGateway(
  `
version: 1
backends:
  an: { url: "{{u}}", kind: anthropic, apiKey: sk-ant-backend }
models:
  claude: { targets: [{ backend: an, pricing: { input: 3, output: 15 } }] }
tenants:
  t1: { keys: ["${KEYS[0]}"], limits: { tpm: 100000, budget: { usd: 10, per: 24h } } }
  t2: { keys: ["${KEYS[1]}"], limits: { tpm: 100000, budget: { usd: 10, per: 24h } } }
`,
  { u: up.url },
);
const headers = (key: string, id: string) => ({ authorization: `Bearer ${key}`, 'x-request-id': id });
const messages = [{ role: 'user', content: 'hello' }];

/** What the request was charged, and that its tenant's next request is still admitted. */
async function charged(key: string, id: string): Promise<{ output: number; costUsd: number }> {
  const e = await gw.requestEvent(id);
  const next = await rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'claude', messages, max_tokens: 5 },
    { headers: headers(key, `${id}-next`) },
  );
  expect(next.status, next.body.toString()).toBe(200);
  return { output: e.tokens.output, costUsd: e.costUsd ?? 0 };
}

describe('an OpenAI request translated for an Anthropic backend that claims more output than it was sent max_tokens for', () => {
  it('naming no max_tokens: charged at most the 4,096 the translation sent', async () => {
    const r = await rawPost(`${gw.url}/v1/chat/completions`, { model: 'claude', messages }, { headers: headers(KEYS[0], 'bound-1') });
    expect(r.status).toBe(200);
    // The client is told what the backend said: the bound is accounting's.
    expect(JSON.parse(r.body.toString()).usage.completion_tokens).toBe(CLAIMED);
    const c = await charged(KEYS[0], 'bound-1');
    expect(c.output).toBeLessThanOrEqual(4096);
    expect(c.costUsd).toBeLessThan(0.1);
  });

  it('naming max_completion_tokens alone, streamed (openai-node): charged at most that', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS[1], maxRetries: 0 });
    const s = await openai.chat.completions.create(
      { model: 'claude', messages: [{ role: 'user', content: 'hello' }], max_completion_tokens: 10, stream: true },
      { headers: { 'x-request-id': 'bound-2' } },
    );
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('ok');
    const c = await charged(KEYS[1], 'bound-2');
    expect(c.output).toBeLessThanOrEqual(10);
    expect(c.costUsd).toBeLessThan(0.001);
  });
});
