/**
 * `escalate` and `cost` read a prompt's size from its strings, and an image's bytes are no text (README) — but an image
 * counted nothing at all: a question with 20 images (~32,000 tokens as Anthropic counts full-size ones, ~15,000 at
 * OpenAI's high detail) was a prompt of a few tokens, and a model that escalates prompts over 3,000 tokens to its
 * large-context model kept it on its 600-token window, where a real backend refuses it (a 400 passed through, never
 * failed over). Each media part now counts as a full-size image, 1,600 tokens (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { servedBy as served, useEscalatingGateway } from '../helpers/escalation.js';

const gw = await useEscalatingGateway('vllm');

/** The backend a chat request with `images` pictures was sent to, as its event names it. */
function servedBy(images: number): Promise<string | undefined> {
  const content = [
    { type: 'text', text: 'What changed between these frames?' },
    ...Array.from({ length: images }, (_, i) => ({ type: 'image_url', image_url: { url: `https://example.test/frame-${i}.png` } })),
  ];
  return served(gw, '/v1/chat/completions', { model: 'chat', max_tokens: 4, messages: [{ role: 'user', content }] });
}

describe("a prompt's images count toward its size", () => {
  it('a question with one image stays on the small model', async () => {
    expect(await servedBy(1)).toBe('cheap');
  });

  it('a question with 20 images escalates to the large model', async () => {
    expect(await servedBy(20)).toBe('big');
  });
});
