/**
 * A backend's prompt count is capped at what the request could hold (prompt-bound.ts): twice its bytes, a preamble,
 * and PART_TOKENS (32,768) an image. vLLM takes `mm_processor_kwargs` per request and hands them to the model's
 * multimodal processor, whose `max_pixels` (Qwen2-VL's, and others' likes) sets how many tokens an image becomes — past
 * PART_TOKENS for any image larger than ~5,000 pixels square (a 10,000-pixel square is ~127,000). An image URL with it,
 * whose backend counted 80,000 prompt tokens, was charged ~37,000 of its tenant's tpm and budget (token-count review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { okChatAnswer, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-mm-processor-kwargs';
const CLAIMED = 80_000;

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(okChatAnswer({ prompt_tokens: CLAIMED, completion_tokens: 1, total_tokens: CLAIMED + 1 }));
});

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  vl: { targets: [{ backend: oa }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
`,
  { u: up.url },
);

const body = (extra: Record<string, unknown>) => ({
  model: 'vl',
  max_tokens: 16,
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'what is in this picture?' },
        { type: 'image_url', image_url: { url: 'https://img.example.invalid/large.png' } },
      ],
    },
  ],
  ...extra,
});

async function chargedInput(b: unknown, id: string): Promise<number> {
  const r = await rawPost(`${gw.url}/v1/chat/completions`, b, { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': id } });
  expect(r.status).toBe(200);
  return (await gw.requestEvent(id)).tokens.input;
}

describe("vLLM's mm_processor_kwargs: an image's tokens are the backend's to say", () => {
  it('an image with max_pixels raised is charged as its backend counted it', async () => {
    expect(await chargedInput(body({ mm_processor_kwargs: { max_pixels: 100_000_000 } }), 'mm-kwargs')).toBe(CLAIMED);
  });

  it('without them (or with none named), the same claim is still capped at what an image may cost', async () => {
    expect(await chargedInput(body({}), 'mm-kwargs-none')).toBeLessThan(CLAIMED);
    expect(await chargedInput(body({ mm_processor_kwargs: {} }), 'mm-kwargs-empty')).toBeLessThan(CLAIMED);
  });
});
