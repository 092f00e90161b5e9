/**
 * OpenAI client → Anthropic backend, an empty system message or an empty text part. OpenAI takes both, and clients
 * send them (a UI with no system prompt set sends `{"role":"system","content":""}`); Anthropic refuses any empty text
 * block with a 400 "text content blocks must be non-empty" (BerriAI/litellm#17442: every fallback then failed the
 * same way). The translation made each one such a block, so a request OpenAI answers was refused for a text that said
 * nothing. An empty text is left out: it adds nothing to the prompt. The judge is the body the backend received.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ONE_ANTHROPIC_PROFILE, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('ok', { input_tokens: 5, output_tokens: 1 })),
);
const gw = await useGateway(ONE_ANTHROPIC_PROFILE, { u: up.url });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

/** Every text block of the body the backend received, system and messages. */
function sentTexts(): string[] {
  const body = JSON.parse(up.seen.at(-1)!.body) as { system?: { text: string }[]; messages: { content: unknown }[] };
  const texts = (body.system ?? []).map((b) => b.text);
  for (const m of body.messages) {
    if (typeof m.content === 'string') texts.push(m.content);
    else for (const b of m.content as { type: string; text?: string }[]) if (b.type === 'text') texts.push(b.text!);
  }
  return texts;
}

describe('empty texts are not sent as empty blocks', () => {
  it('an empty system message, among others or alone', async () => {
    await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: '' },
        { role: 'developer', content: 'Be brief.' },
        { role: 'system', content: [{ type: 'text', text: '' }] },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(sentTexts()).toEqual(['Be brief.', 'Hi']);
    await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: '' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(JSON.parse(up.seen.at(-1)!.body)).not.toHaveProperty('system');
  });

  it("an empty text part beside a user message's other parts", async () => {
    await openai.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: '' },
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(sentTexts()).toEqual(['What is this?']);
  });
});
