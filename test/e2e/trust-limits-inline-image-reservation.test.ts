/**
 * An image or audio clip sent inline (base64) is reserved as what it can cost a model — its bytes / 3, but at most
 * PART_TOKENS (tenants/prompt-bound.ts) — not as its bytes / 3 alone: a 600 KB photo was a reservation of ~200,000
 * tokens, and a tenant of 100,000 tpm was told 429 "can never admit this request" (x-should-retry: false) for an answer
 * its backend counted 1,200 prompt tokens. A document (no bound to its cost) is still reserved as its bytes.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { anthropicTextMessage, okChatAnswer, useUpstream } from '../helpers/upstream.js';

const openai = await useUpstream((_req, res) =>
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(okChatAnswer({ prompt_tokens: 1200, completion_tokens: 5, total_tokens: 1205 })),
);
const claude = await useUpstream((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('A cat.', { input_tokens: 1200, output_tokens: 3 })),
);
const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{oa}}" }
  an: { url: "{{an}}", kind: anthropic }
models:
  gpt: { targets: [{ backend: oa }] }
  claude: { targets: [{ backend: an }] }
tenants:
  t: { keys: [k], limits: { tpm: 100000 } }
`,
  { oa: openai.url, an: claude.url },
);

/** 600,000 characters of base64: a ~450 KB picture. */
const PICTURE = 'iVBORw0KGgo'.padEnd(600_000, 'A');

/** An Anthropic client's message of one block and a question, from the tenant with limits. */
const askClaude = (block: object, text: string) =>
  rawPost(
    `${gw.url}/v1/messages`,
    { model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: [block, { type: 'text', text }] }] },
    { headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' } },
  );

describe('a picture sent inline, under a tokens limit', () => {
  it.each([
    ['an OpenAI image_url data URL', { type: 'image_url', image_url: { url: `data:image/png;base64,${PICTURE}` } }],
    ['an OpenAI input_audio clip', { type: 'input_audio', input_audio: { data: PICTURE, format: 'wav' } }],
  ])('is admitted: %s', async (_name, part) => {
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt', max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, part] }] },
      { headers: { authorization: 'Bearer k' } },
    );
    expect(r.status, r.body.toString()).toBe(200);
    // Reserved at most PART_TOKENS for the picture, not 200,000: the window had room for it.
    expect(Number(r.headers['x-ratelimit-remaining-tokens'])).toBeGreaterThan(100_000 - 40_000);
  });

  it('is admitted: an Anthropic base64 image block', async () => {
    const r = await askClaude({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PICTURE } }, 'What is this?');
    expect(r.status, r.body.toString()).toBe(200);
  });

  it('a document of the same size is still reserved as its bytes: refused for good', async () => {
    const r = await askClaude({ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PICTURE } }, 'Summarise.');
    expect(r.status).toBe(429);
    expect(r.headers['x-should-retry']).toBe('false');
  });
});
