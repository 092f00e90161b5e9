/**
 * OpenAI client → Anthropic backend, a conversation of system (or developer) messages alone — an instruction-only
 * prompt (an eval's judge prompt, a one-shot generator), which OpenAI's API answers. Hoisted into `system`, it left
 * `messages` empty, which Anthropic refuses (400 "messages: at least one message is required", BerriAI/litellm#10678,
 * arthur-ai/arthur-engine#1302): every such request to a Claude target failed. The instructions now go as the one user
 * turn (each system message a text block, in order). The backend here refuses as Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-system-only';
const up = await useUpstream((_req, res, body) => {
  if ((JSON.parse(body) as { messages: unknown[] }).messages.length === 0) {
    const message = 'messages: at least one message is required';
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('Hi.', { input_tokens: 3, output_tokens: 2 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
const sent = () => JSON.parse(up.seen.at(-1)!.body) as { system?: unknown; messages: unknown[] };

describe('system messages alone, to an Anthropic backend', () => {
  it('go as the one user turn, in order', async () => {
    const a = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You grade answers.' },
        { role: 'developer', content: 'Answer: 4. Grade it.' },
      ],
    });
    expect(a.choices[0]!.message.content).toBe('Hi.');
    expect(sent().system).toBeUndefined();
    expect(sent().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'You grade answers.' },
          { type: 'text', text: 'Answer: 4. Grade it.' },
        ],
      },
    ]);
  });

  it('beside a user turn, stay the system prompt', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(sent()).toMatchObject({ system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: 'hi' }] });
  });
});
