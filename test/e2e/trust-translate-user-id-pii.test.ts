/**
 * OpenAI client → Anthropic backend, the request's `user` — an end user's identifier, often their email address (OpenAI
 * takes any string) — sent as `metadata.user_id`, which Anthropic refuses when it is an email address or a phone number
 * (400 "metadata.user_id: user_id appears to contain an email address. Please send a uuid or hash value …",
 * BerriAI/litellm#10106) or longer than 256 characters: every request of such a client to a Claude target failed. Such
 * an id is now sent as a digest of it (the same user, the same id: Anthropic still tells users apart); an opaque one
 * as it came. The backend here refuses as Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-user-id-pii';
const up = await useUpstream((_req, res, body) => {
  const id = (JSON.parse(body) as { metadata?: { user_id?: string } }).metadata?.user_id;
  const refusal =
    id === undefined
      ? undefined
      : id.length > 256
        ? 'metadata.user_id: String should have at most 256 characters'
        : /@/.test(id)
          ? 'metadata.user_id: user_id appears to contain an email address. Please send a uuid or hash value instead.'
          : /^\+?[\d\s().-]{7,}$/.test(id)
            ? 'metadata.user_id: user_id appears to contain a phone number. Please send a uuid or hash value instead.'
            : undefined;
  if (refusal) {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: refusal } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('Hi.', { input_tokens: 3, output_tokens: 2 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
const ask = (user: string) => client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], user });
const sentId = () => (JSON.parse(up.seen.at(-1)!.body) as { metadata: { user_id: string } }).metadata.user_id;

describe("an OpenAI client's user, to an Anthropic backend", () => {
  it('an email address, a phone number or an overlong id is sent as a digest of it, the same each time', async () => {
    const ids: string[] = [];
    for (const user of ['jane.doe@example.com', '+1 (555) 010-9999', 'x'.repeat(300)]) {
      expect((await ask(user)).choices[0]!.message.content).toBe('Hi.');
      ids.push(sentId());
      await ask(user);
      expect(sentId()).toBe(ids.at(-1));
    }
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
  });

  it('an opaque id is sent as it came', async () => {
    await ask('user-42');
    expect(sentId()).toBe('user-42');
  });
});
