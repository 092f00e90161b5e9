/**
 * Anthropic client → OpenAI backend, the request's `metadata.user_id` sent as chat completions' `user`. Claude Code
 * sends one of ~150 characters (`{"device_id":"<64 hex>","account_uuid":"<uuid>","session_id":"<uuid>"}`, or the older
 * `user_<64 hex>_account_<uuid>_session_<uuid>`), and OpenAI's API (Azure's too) takes a `user` of 64 characters at most
 * (400 "Invalid 'user': string too long. Expected a string with maximum length 64", maximhq/bifrost#1000; OpenRouter
 * 128, looplj/axonhub#1669): every request of Claude Code to such a backend failed. Such an id now goes as a digest of
 * it, 48 characters (the same id, the same user); a short one as it came. The backend here refuses as OpenAI does.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { okChatAnswer, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res, body) => {
  const user = (JSON.parse(body) as { user?: string }).user;
  if (user !== undefined && user.length > 64) {
    const message = `Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length ${user.length} instead.`;
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: 'user', code: 'string_above_max_length' } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(okChatAnswer());
});
const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  gpt: { targets: [{ backend: oa }] }
`,
  { u: up.url },
);
const client = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const ask = (user_id: string) =>
  client.messages.create({ model: 'gpt', max_tokens: 16, metadata: { user_id }, messages: [{ role: 'user', content: 'hi' }] });
const sentUser = () => (JSON.parse(up.seen.at(-1)!.body) as { user: string }).user;

describe("an Anthropic client's metadata.user_id, to an OpenAI backend", () => {
  it("Claude Code's goes as a digest of at most 64 characters, the same each time", async () => {
    const uuid = '7f4e2c1a-9b3d-4e5f-8a6b-1c2d3e4f5a6b';
    const ids = [
      JSON.stringify({ device_id: 'ab'.repeat(32), account_uuid: uuid, session_id: uuid }),
      `user_${'cd'.repeat(32)}_account_${uuid}_session_${uuid}`,
    ];
    const sent: string[] = [];
    for (const id of ids) {
      expect((await ask(id)).type).toBe('message');
      sent.push(sentUser());
      await ask(id);
      expect(sentUser()).toBe(sent.at(-1));
    }
    expect(new Set(sent).size).toBe(2);
    for (const u of sent) expect(u.length).toBeLessThanOrEqual(64);
  });

  it('a short one goes as it came', async () => {
    await ask('user-42');
    expect(sentUser()).toBe('user-42');
  });
});
