/**
 * OpenAI client → Anthropic backend, prompt caching asked for as LiteLLM and OpenRouter take it in OpenAI's format: a
 * `cache_control` on a content part (a system prompt's, a user message's text or image, a tool message's) or on a
 * tool. Claude caches only what a request marks, and the translation built each block anew from its text: the marks
 * were dropped, so every request was charged its whole prompt at the full rate (a cache read costs a tenth) and waited
 * for its prefill again, while the client was told nothing. A mark now goes on the block its part becomes.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-cache-control';
const up = await useUpstream((_req, res) => {
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(anthropicTextMessage('Hi.', { input_tokens: 3, output_tokens: 2, cache_read_input_tokens: 2000 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
const EPHEMERAL = { type: 'ephemeral' };
const HOUR = { type: 'ephemeral', ttl: '1h' };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('cache_control in an OpenAI request, to an Anthropic backend', () => {
  it('goes on the blocks and tools it marks; the cache read reaches the client as cached_tokens', async () => {
    const c = await client.chat.completions.create({
      model: 'claude',
      max_tokens: 10,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'A long manual.', cache_control: HOUR } as never] },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` }, cache_control: EPHEMERAL } as never,
            { type: 'text', text: 'A long document.', cache_control: EPHEMERAL } as never,
            { type: 'text', text: 'What does it say?' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'a result', cache_control: EPHEMERAL } as never] },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } }, cache_control: EPHEMERAL } as never],
    });
    expect(c.usage?.prompt_tokens_details?.cached_tokens).toBe(2000);
    const sent = JSON.parse(up.seen.at(-1)!.body) as {
      system: { cache_control?: unknown }[];
      messages: { content: { type: string; cache_control?: unknown }[] }[];
      tools: { cache_control?: unknown }[];
    };
    expect(sent.system).toEqual([{ type: 'text', text: 'A long manual.', cache_control: HOUR }]);
    expect(sent.messages[0]!.content.map((b) => [b.type, b.cache_control])).toEqual([
      ['image', EPHEMERAL],
      ['text', EPHEMERAL],
      ['text', undefined],
    ]);
    expect(sent.messages[2]!.content).toEqual([{ type: 'tool_result', tool_use_id: 'c1', content: 'a result', cache_control: EPHEMERAL }]);
    expect(sent.tools[0]).toEqual({ name: 'f', input_schema: { type: 'object' }, cache_control: EPHEMERAL });
  });

  it('a request without marks is sent none', async () => {
    await client.chat.completions.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(up.seen.at(-1)!.body).not.toContain('cache_control');
  });
});
