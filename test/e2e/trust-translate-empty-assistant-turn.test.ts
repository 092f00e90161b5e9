/**
 * OpenAI client → Anthropic backend, a conversation holding an assistant turn that said nothing. Claude answers so at
 * times (an end_turn with no content block), which reaches an OpenAI client as `content: ""`; openai-node's user sends
 * that message back with the next turn, as OpenAI takes it. The translation sent it on as `{"role":"assistant",
 * "content":""}`, which Anthropic refuses ("all messages must have non-empty content except for the optional final
 * assistant message"): every later turn of the conversation was a 400. The turn is left out now; the user turns on
 * either side of it are one turn to Anthropic. The judge is the body the backend received. (attacker review)
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicMessage } from '../helpers/anthropic-sse.js';
import { ONE_ANTHROPIC_PROFILE, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

/** Claude's empty answer to the first question, a word to any later one. */
const up = await useUpstream((_req, res, body) => {
  const first = (JSON.parse(body) as { messages: unknown[] }).messages.length === 1;
  const answer = anthropicMessage(first ? [] : [{ type: 'text', text: 'Yes.' }], 'end_turn', { input_tokens: 5, output_tokens: 1 });
  res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
});
const gw = await useGateway(ONE_ANTHROPIC_PROFILE, { u: up.url });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('an assistant turn that said nothing, sent back to an Anthropic backend', () => {
  it('is left out: every message the backend receives has content', async () => {
    const first = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] });
    const said = first.choices[0]!.message;
    expect(said.content).toBe('');
    const next = await openai.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Hi' }, said, { role: 'user', content: 'Are you there?' }],
    });
    expect(next.choices[0]!.message.content).toBe('Yes.');
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { role: string; content: unknown }[] };
    for (const m of sent.messages)
      expect(m.content === '' || (Array.isArray(m.content) && m.content.length === 0), JSON.stringify(m)).toBe(false);
    expect(sent.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'user', content: 'Are you there?' },
    ]);
  });
});
