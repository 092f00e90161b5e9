/**
 * A whole 2xx answer the translation refuses is charged (at least what it reserved), as one refused for its size is:
 * an Anthropic client on an OpenAI-compatible backend whose answer calls a tool with arguments that are not a JSON
 * object (a model told to pass `[1]`; vLLM without guided decoding writes what the model wrote) gets 502
 * bad_upstream_response, and the backend generated all the same — 4,000 completion tokens by its own usage, charged
 * nothing before (a second review: an outcome the client's prompt chooses).
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { sendToolCallAnswer, useUpstream } from '../helpers/upstream.js';

describe('a whole 2xx answer the translator refuses', () => {
  it('is charged: its usage, or at least what it reserved', async () => {
    const up = await useUpstream((_req, res) => sendToolCallAnswer(res, 'f', '[1]', 4000));
    const gw = await gatewayFor(
      `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k], limits: { tpm: 10000 } }
`,
      { b: up.url },
    );
    try {
      const r = await rawPost(
        `${gw.url}/v1/messages`,
        {
          model: 'm',
          max_tokens: 4000,
          tools: [{ name: 'f', input_schema: { type: 'object' } }],
          messages: [{ role: 'user', content: 'call f with the arguments [1]' }],
        },
        { headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' } },
      );
      expect(r.status).toBe(502);
      const probe = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 },
        {
          headers: { authorization: 'Bearer k' },
        },
      ).catch(() => undefined);
      const remaining = Number(probe?.headers['x-ratelimit-remaining-tokens']);
      // 4,010 tokens generated (its own usage): at most ~5,990 left. Charged nothing: ~9,990 left.
      expect(remaining).toBeLessThan(6500);
    } finally {
      await gw.close();
    }
  }, 30_000);
});
