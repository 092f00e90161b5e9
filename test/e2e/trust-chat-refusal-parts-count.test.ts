/**
 * A chat content part's text is not always its `text`: vLLM renders a `refusal` part's `refusal` and a `thinking`
 * part's `thinking` into the prompt as it renders a text part's `text` (chat_utils MM_PARSER_MAP), and bills them as
 * prompt. When no usage says what the prompt cost — the client left the stream before its usage chunk — the settle
 * stage counts the prompt itself, and read `text` alone: a stream whose assistant turn held ~4,000 tokens of refusal
 * parts, left at its first chunk, was charged ~10 input tokens, its reservation (the body's bytes / 3) refunded. A
 * tenant leaving each stream there had the backend prefill them without limit under any tpm (token-count review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-refusal-parts';
const TPM_KEY = 'sk-tenant-refusal-parts-tpm';
/** ~4,000 tokens (o200k: one a word). */
const WORDS = 'word '.repeat(4000);

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

/** The head and the first chunk, then nothing: the usage would come at the answer's end. */
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk('ok'));
});

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  chat: { targets: [{ backend: oa, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
  small: { keys: ["${TPM_KEY}"], limits: { tpm: 16000 } }
`,
  { u: up.url },
);

const assistant = (part: Record<string, unknown>) => ({
  model: 'chat',
  max_tokens: 10,
  stream: true,
  messages: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: [part] },
    { role: 'user', content: 'again' },
  ],
});

async function left(key: string, id: string, body: Record<string, unknown>) {
  const r = await rawPost(`${gw.url}/v1/chat/completions`, body, {
    headers: { authorization: `Bearer ${key}`, 'x-request-id': id },
    abortAfterChunks: 1,
  });
  return { r, e: r.status === 200 ? await gw.requestEvent(id) : undefined };
}

describe("a chat's refusal and thinking parts are counted as prompt", () => {
  it('a stream left at its first chunk: its refusal part is charged', async () => {
    const { r, e } = await left(KEY, 'refusal-left', assistant({ type: 'refusal', refusal: WORDS }));
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    expect(e!.tokens.inputSource, JSON.stringify(e!.tokens)).not.toBe('usage');
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
    expect(e!.costUsd ?? 0).toBeGreaterThan(0.0035);
  });

  it('a stream left at its first chunk: its thinking part is charged', async () => {
    const { e } = await left(KEY, 'thinking-left', assistant({ type: 'thinking', thinking: WORDS }));
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
  });

  it("a tool loop's assistant turn: its reasoning sent back is charged (vLLM's reasoning, SGLang's reasoning_content)", async () => {
    for (const field of ['reasoning', 'reasoning_content']) {
      const body = {
        model: 'chat',
        max_tokens: 10,
        stream: true,
        messages: [
          { role: 'user', content: 'look it up' },
          {
            role: 'assistant',
            content: null,
            [field]: WORDS,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'found' },
        ],
      };
      const { e } = await left(KEY, `reasoning-left-${field}`, body);
      expect(e!.tokens.input, `${field}: ${JSON.stringify(e!.tokens)}`).toBeGreaterThanOrEqual(3500);
    }
    // Both sent: counted once.
    const both = await left(KEY, 'reasoning-left-both', {
      model: 'chat',
      max_tokens: 10,
      stream: true,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'x', reasoning: WORDS, reasoning_content: WORDS },
        { role: 'user', content: 'again' },
      ],
    });
    expect(both.e!.tokens.input, JSON.stringify(both.e!.tokens)).toBeLessThan(2 * 3500);
    // A user's message has no reasoning a template reads.
    const user = await left(KEY, 'reasoning-left-user', {
      model: 'chat',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'hi', reasoning: WORDS }],
    });
    expect(user.e!.tokens.input, JSON.stringify(user.e!.tokens)).toBeLessThan(100);
  });

  it('a text part is counted once, as before (its type, not every string it holds)', async () => {
    const { e } = await left(KEY, 'text-left', assistant({ type: 'text', text: WORDS, refusal: WORDS }));
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeLessThan(2 * 3500);
  });

  it("holds a tenant's tpm: 16,000 tpm takes three such requests, not one after another without end", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { r } = await left(TPM_KEY, `refusal-tpm-${i}`, assistant({ type: 'refusal', refusal: WORDS }));
      statuses.push(r.status);
      if (r.status !== 200) break;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
  });
});
