/**
 * Optional request fields sent as null — what a client library writes for an unset option (LangChain's and other
 * wrappers' `tools=None`, `user=None`; a typed client serialising its whole options object) and what OpenAI's API and
 * vLLM read as absent — were refused 400 on the translated paths alone: an OpenAI client's `tools`, `tool_choice`,
 * `parallel_tool_calls` or `user` of null to an Anthropic backend ("expected array, received null"), an Anthropic
 * client's `container: null` (Anthropic's own type is string | null) or `mcp_servers: []` to an OpenAI backend ("can
 * only be served by an Anthropic backend"). The same request passed through to a vLLM target was served: a model's
 * answer depended on which backend served it. Null (and an empty server list) is absent now, as it already was for
 * the fields the translation refuses when set. (SDK review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  a: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-test, mock: { kind: anthropic } }
models:
  gpt: { targets: [{ backend: v }] }
  claude: { targets: [{ backend: a }] }
`);
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'hi' }];

describe('optional fields sent as null, on the translated paths', () => {
  for (const extra of [{ tools: null }, { tool_choice: null }, { parallel_tool_calls: null }, { user: null }]) {
    it(`an OpenAI client's ${JSON.stringify(extra)} to an Anthropic backend is served, as to vLLM`, async () => {
      for (const model of ['gpt', 'claude']) {
        const r = await openai.chat.completions.create({ model, messages, max_tokens: 3, ...extra } as never);
        expect((r as OpenAI.ChatCompletion).choices[0]!.message.content).toBeTruthy();
      }
    });
  }

  const tool = (f: object) => [{ type: 'function', function: { name: 't', parameters: { type: 'object' }, ...f } }];
  const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: null } };
  for (const [name, extra] of [
    ['a tool description of null', { tools: tool({ description: null }) }],
    ['tool parameters of null', { tools: tool({ parameters: null }) }],
    ["an image's detail of null", { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, image] }] }],
  ] as const) {
    it(`an OpenAI client's ${name}, to an Anthropic backend, is served`, async () => {
      const r = await openai.chat.completions.create({ model: 'claude', messages, max_tokens: 3, ...extra } as never);
      expect((r as OpenAI.ChatCompletion).choices[0]!.message.content).toBeTruthy();
    });
  }

  for (const extra of [{ container: null }, { mcp_servers: [] }]) {
    it(`an Anthropic client's ${JSON.stringify(extra)} to an OpenAI backend is served, as to Anthropic`, async () => {
      for (const model of ['claude', 'gpt']) {
        const r = await anthropic.messages.create({ model, max_tokens: 3, messages, ...extra } as never);
        expect((r as Anthropic.Message).content[0]).toMatchObject({ type: 'text' });
      }
    });
  }

  it('set, they are still translated or refused as before', async () => {
    const err = await anthropic.messages
      .create({ model: 'gpt', max_tokens: 3, messages, container: 'cntr_1' } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const r = await openai.chat.completions.create({
      model: 'claude',
      messages,
      max_tokens: 3,
      user: 'u-1',
      tool_choice: 'none',
      tools: [{ type: 'function', function: { name: 't', parameters: { type: 'object' } } }],
    });
    expect(r.choices[0]!.message.content).toBeTruthy();
  });
});
