/**
 * OpenAI client → Anthropic backend, a conversation that goes on after a refusal. OpenAI answers a refusal with
 * `content: null` and the model's words in `refusal`, and openai-node's usual loop appends that message as it came:
 * the translation read only `content` (and refusal parts), so the turn went to Anthropic as an empty assistant turn —
 * what the model had said was gone from the conversation, and Anthropic refuses an empty turn that is not the last
 * ("all messages must have non-empty content except for the optional final assistant message"). The judge is the body
 * the Anthropic backend received.
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

describe("an assistant turn that was a refusal keeps the model's words", () => {
  it('content null, refusal set: the refusal is the turn', async () => {
    const refused: OpenAI.ChatCompletionAssistantMessageParam = { role: 'assistant', content: null, refusal: 'I cannot help with that.' };
    await openai.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Do the bad thing.' }, refused, { role: 'user', content: 'Then something else.' }],
    });
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { role: string; content: unknown }[] };
    expect(sent.messages[1]).toEqual({ role: 'assistant', content: 'I cannot help with that.' });
  });
});
