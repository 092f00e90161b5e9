/**
 * A stream the client leaves before its usage has no count of the prompt from the backend: the settle stage counts it
 * (tenants/admission.ts, in the tokenizer thread), and the tokenizer reads no text in an image or audio part — a URL of
 * a few bytes that the backend's vision encoder prefilled into hundreds or thousands of tokens before the first chunk.
 * Counted as nothing, a tenant leaving each vision stream at its first chunk was charged the text's few tokens: its
 * reservation (the body's bytes / 3) refunded, its images prefilled without limit under any tpm or budget. Such a
 * client now pays each part a full-size image's count (1,600 tokens, tenants/prompt-bound.ts LEFT_PART_TOKENS); one
 * that stays for the usage pays what the backend counted (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-cut-media';
const TPM_KEY = 'sk-tenant-cut-media-tpm';
const PART_TOKENS = 1_600;

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({
  id: 'c',
  object: 'chat.completion.chunk',
  model: 'm',
  choices: [],
  usage: { prompt_tokens: 1500, completion_tokens: 2, total_tokens: 1502 },
})}\n\n`;

/** Resolves when the backend has a request to hold (no answer at all). */
let held: () => void = () => {};

/** The head and the first chunk, then nothing (the usage would come at the answer's end) — unless asked to stay. */
const up = await useUpstream((_req, res, body) => {
  if (body.includes('hold-the-answer')) return held();
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk({ role: 'assistant', content: 'a cat' }));
  if (body.includes('stay-for-usage')) res.end(`${chunk({ content: '.' }, 'stop')}${USAGE}data: [DONE]\n\n`);
});

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  vl: { targets: [{ backend: oa, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
  small: { keys: ["${TPM_KEY}"], limits: { tpm: 20000 } }
  small2: { keys: ["${TPM_KEY}-2"], limits: { tpm: 5000 } }
`,
  { u: up.url },
);

const image = { type: 'image_url', image_url: { url: 'https://example.invalid/cat.png' } };
const audio = { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } };

async function chat(key: string, id: string, content: unknown[], leave = true) {
  const r = await rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'vl', messages: [{ role: 'user', content }], max_tokens: 10, stream: true },
    { headers: { authorization: `Bearer ${key}`, 'x-request-id': id }, ...(leave ? { abortAfterChunks: 1 } : {}) },
  );
  return { r, e: r.status === 200 ? await gw.requestEvent(id) : undefined };
}

describe('a stream left at its first chunk is charged its image and audio parts', () => {
  it("two images by URL: each at a full-size image's count, noted, and its cost with them", async () => {
    const { r, e } = await chat(KEY, 'cut-media-images', [{ type: 'text', text: 'what is this?' }, image, image]);
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    expect(e!.tokens.inputSource).toBe('estimate');
    // Before: 15 tokens, the text alone.
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(2 * PART_TOKENS);
    expect(e!.countNote).toContain('the tokenizer cannot read');
    // $1 a million input tokens: the two parts' 3,200 at least.
    expect(e!.costUsd ?? 0).toBeGreaterThanOrEqual((2 * PART_TOKENS) / 1e6);
  });

  it('an audio part likewise', async () => {
    const { e } = await chat(KEY, 'cut-media-audio', [{ type: 'text', text: 'transcribe' }, audio]);
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(PART_TOKENS);
  });

  it("a part of a kind not known here (vLLM's video_url: no bound at all) at least as an image", async () => {
    const video = { type: 'video_url', video_url: { url: 'https://example.invalid/cat.mp4' } };
    const { e } = await chat(KEY, 'cut-media-video', [{ type: 'text', text: 'describe' }, video]);
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(PART_TOKENS);
  });

  it('an Anthropic client to an OpenAI backend likewise (its turns carry no images)', async () => {
    const id = 'cut-media-anthropic';
    const r = await rawPost(
      `${gw.url}/v1/messages`,
      {
        model: 'vl',
        max_tokens: 10,
        stream: true,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'url', url: 'https://example.invalid/cat.png' } },
              { type: 'text', text: 'what is this?' },
            ],
          },
        ],
      },
      { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'x-request-id': id }, abortAfterChunks: 1 },
    );
    expect(r.status).toBe(200);
    const e = await gw.requestEvent(id);
    expect(e.tokens.input, JSON.stringify(e.tokens)).toBeGreaterThanOrEqual(PART_TOKENS);
  });

  it('a client that stays for the usage pays what the backend counted', async () => {
    const { r, e } = await chat(KEY, 'cut-media-stayed', [{ type: 'text', text: 'stay-for-usage' }, image, image], false);
    expect(r.ended).toBe('complete');
    expect(e!.tokens).toMatchObject({ input: 1500, inputSource: 'usage' });
    expect(e!.countNote).toBeUndefined();
  });

  it("holds a tenant's tpm: 20,000 tpm does not take such requests of four images one after another without end", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { r } = await chat(TPM_KEY, `cut-media-tpm-${i}`, [{ type: 'text', text: 'hi' }, image, image, image, image]);
      statuses.push(r.status);
      if (r.status !== 200) break;
    }
    // Before: six of six admitted, each charged ~10 tokens of a reservation of ~100.
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(429);
  });

  it('a request of many images left before any answer is charged them too, not its reservation alone', async () => {
    const heldNow = new Promise<void>((r) => (held = r));
    const body = {
      model: 'vl',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hold-the-answer' }, image, image, image, image] }],
      max_tokens: 10,
    };
    const headers = { authorization: `Bearer ${TPM_KEY}-2`, 'x-request-id': 'held-images' };
    const left = await rawPost(`${gw.url}/v1/chat/completions`, body, { headers, abortWhen: heldNow }).catch(() => undefined);
    expect(left?.status).toBeUndefined();
    // Settled once its event is out.
    expect((await gw.requestEvent('held-images')).clientAborted).toBe(true);
    // Before: charged its reservation alone (~110 tokens of 5,000): the next was admitted, each such request free.
    const { r } = await chat(`${TPM_KEY}-2`, 'after-held', [{ type: 'text', text: 'hi' }]);
    expect(r.status).toBe(429);
  });
});
