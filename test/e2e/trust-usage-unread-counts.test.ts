/**
 * A backend's usage whose prompt count cannot be read — written as a string, left out — is no count of the prompt:
 * the prompt is counted (tenants/admission.ts, in the tokenizer thread), as a stream's unreadable output count already
 * was (from its events). Read as 0, a 4,000-token prompt was charged nothing: its tokens, its cost at `pricing.input`,
 * and what the tenant's tpm and budget saw. Likewise a non-streamed OpenAI answer's completion count: written as a
 * string, a 2,000-token answer was charged 0 output; its body is counted now, as one without usage is (money review).
 */
import { describe, expect, it } from 'vitest';
import { anthropicEvent, anthropicMessage, messageStart } from '../helpers/anthropic-sse.js';
import { useGateway } from '../helpers/gateway.js';
import { chatBody, chatStream, useUsageCases } from '../helpers/usage-cases.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-usage-unread-prompt';
/** ~4,000 tokens of prompt (o200k: one a word). */
const PROMPT = 'word '.repeat(4000);

const message = (usage: object) => anthropicMessage([{ type: 'text', text: 'ok ok ok' }], 'end_turn', usage);
const messageStream = (start: object, delta: object) =>
  messageStart(start) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'ok ok ok' } }) +
  anthropicEvent('content_block_stop', { index: 0 }) +
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: delta }) +
  anthropicEvent('message_stop', {});

/** [name, API, stream, what the backend answers] */
const CASES: [string, 'openai' | 'anthropic', boolean, string][] = [
  [
    'OpenAI, prompt_tokens as a string',
    'openai',
    false,
    chatBody('ok ok ok', { prompt_tokens: '4000', completion_tokens: 3, total_tokens: '4003' }),
  ],
  ['OpenAI, prompt_tokens left out', 'openai', false, chatBody('ok ok ok', { completion_tokens: 3 })],
  [
    'OpenAI stream, prompt_tokens as a string',
    'openai',
    true,
    chatStream({ prompt_tokens: '4000', completion_tokens: 3, total_tokens: 4003 }),
  ],
  ['Anthropic, input_tokens as a string', 'anthropic', false, message({ input_tokens: '4000', output_tokens: 3 })],
  [
    'Anthropic stream, input_tokens as a string',
    'anthropic',
    true,
    messageStream({ input_tokens: '4000', output_tokens: 1 }, { output_tokens: 3 }),
  ],
];

const { gw, ask } = await useUsageCases(
  KEY,
  CASES.map((c) => ({ stream: c[2], answer: c[3] })),
);

describe('a backend whose usage gives no readable prompt count, for a 4,000-token prompt', () => {
  it.each(CASES.map((c, i) => [c[0], i] as const))('%s: the prompt is counted, not charged 0', async (_name, i) => {
    const [, api, stream] = CASES[i]!;
    const id = `usage-unread-prompt-${i}`;
    const messages = [{ role: 'user', content: `case:${i} ${PROMPT}` }];
    const r = await ask(api, { model: api === 'openai' ? 'gpt' : 'claude', messages, max_tokens: 10, stream }, id);
    expect(r.status).toBe(200);
    const e = await gw.requestEvent(id);
    expect(e.tokens.input, JSON.stringify(e.tokens)).toBeGreaterThanOrEqual(3000);
    expect(e.tokens.inputSource).not.toBe('usage');
    // Its cost is the prompt's too: ~4,000 tokens at $1 per million.
    expect(e.costUsd ?? 0).toBeGreaterThan(0.003);
  });
});

describe('a non-streamed OpenAI answer of ~2,000 tokens whose completion count is a string', () => {
  it('is charged its content, not 0 output', async () => {
    const text = 'word '.repeat(2000);
    const answer = await useUpstream((_req, res) => {
      const body = JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: '2000', total_tokens: '2005' },
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const g = await useGateway(
      `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  gpt: { targets: [{ backend: oa, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
`,
      { u: answer.url },
    );
    const r = await rawPost(
      `${g.url}/v1/chat/completions`,
      { model: 'gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4000 },
      { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'usage-unread-completion' } },
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString()).choices[0].message.content).toBe(text);
    const e = await g.requestEvent('usage-unread-completion');
    expect(e.tokens.output, JSON.stringify(e.tokens)).toBeGreaterThanOrEqual(1500);
    expect(e.tokens.input).toBe(5);
  });
});
