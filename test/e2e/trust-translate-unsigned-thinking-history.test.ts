/**
 * An Anthropic client's history holding a thinking block with no `signature` — what an Anthropic-API server that thinks
 * unasked answers (llama.cpp's before it added the field; the gateway relays it, and the Anthropic SDK keeps it as it
 * came) — sent to an OpenAI backend: its fallback, or a model the client switched to. The translation leaves thinking
 * out (chat completions have no field for it), but read the block as a request's thinking block, which must be signed:
 * every later turn of such a conversation was the gateway's own 400 "messages.1.content.0.signature: Field required".
 * Now the block is left out as a signed one is. The Anthropic mock, which read the request with the same schema, refuses
 * an unsigned block as Anthropic's API does (it took one signed `""`). The judge is @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useMock } from '../helpers/mocks.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-unsigned-thinking-history';
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
});
const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  gpt: { targets: [{ backend: oa }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { u: up.url },
);
const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });

describe('an unsigned thinking block in the history, to an OpenAI backend', () => {
  it('is left out as a signed one is, where the request was a 400', async () => {
    const m = await client.messages.create({
      model: 'gpt',
      max_tokens: 20,
      messages: [
        { role: 'user', content: 'two and two?' },
        // As llama.cpp's server answered it: no signature.
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'two and two' } as never, { type: 'text', text: 'four' }] },
        { role: 'user', content: 'and three?' },
      ],
    });
    expect(m.content).toEqual([{ type: 'text', text: 'ok' }]);
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: unknown[] };
    expect(sent.messages).toEqual([
      { role: 'user', content: 'two and two?' },
      { role: 'assistant', content: 'four' },
      { role: 'user', content: 'and three?' },
    ]);
  });
});

const mock = await useMock({ name: 'claude-signatures', kind: 'anthropic', models: ['claude'], apiKey: KEY });
const direct = new Anthropic({ baseURL: mock.url, apiKey: KEY, maxRetries: 0 });

describe('the Anthropic mock, sent thinking it did not sign', () => {
  it.each([
    ['no signature', { type: 'thinking', thinking: 'hm' }, 'messages.1.content.0.thinking.signature: Field required'],
    ['signed ""', { type: 'thinking', thinking: 'hm', signature: '' }, 'messages.1.content.0: Invalid `signature` in `thinking` block'],
  ])('%s: refused as Anthropic refuses it', async (_name, block, message) => {
    const err = await direct.messages
      .create({
        model: 'claude',
        max_tokens: 5,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: [block as never, { type: 'text', text: 'hello' }] },
          { role: 'user', content: 'and?' },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ error: { message } });
  });

  it.each([
    ['thinking on, the loop’s turn opens with tool_use', { type: 'enabled', budget_tokens: 1024 }, [], 400],
    ['thinking off', { type: 'disabled' }, [], 200],
    [
      'thinking on, the turn opens with signed thinking',
      { type: 'enabled', budget_tokens: 1024 },
      [{ type: 'thinking', thinking: 'hm', signature: 'sig' }],
      200,
    ],
  ] as const)('a tool loop, %s: answered as Anthropic answers it', async (_name, thinking, opening, status) => {
    const r = await fetch(`${mock.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude',
        max_tokens: 2000,
        thinking,
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: [...opening, { type: 'tool_use', id: 't1', name: 'w', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sunny' }] },
        ],
      }),
    });
    const text = await r.text();
    expect(r.status).toBe(status);
    if (status === 400)
      expect(JSON.parse(text)).toMatchObject({
        error: {
          message:
            'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking',
        },
      });
  });

  it('a signed block is taken', async () => {
    const m = await direct.messages.create({
      model: 'claude',
      max_tokens: 5,
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hm', signature: 'sig' },
            { type: 'text', text: 'hello' },
          ],
        },
        { role: 'user', content: 'and?' },
      ],
    });
    expect(m.type).toBe('message');
  });
});
