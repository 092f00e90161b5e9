/**
 * OpenAI backend → Anthropic client, a streamed tool call whose arguments are blank (`" "`, `"\n"`): no arguments, read
 * as `{}` (argumentsObject; the non-streamed answer's input is `{}`). The blank text went out as the call's
 * input_json_delta, and the Anthropic SDK parses a tool block's deltas at its content_block_stop — `partialParse(" ")`
 * is `JSON.parse("")`: finalMessage() threw a SyntaxError on an answer the gateway passed as whole. Blank text before
 * a call's first JSON is not sent (JSON ignores it); what follows it is. The judge is the official @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useScriptedChatUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-blank-args';
const call = (args: string) => ({ index: 0, id: 'call_1', type: 'function', function: { name: 'now', arguments: args } });

const blank = await useScriptedChatUpstream({
  message: {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'now', arguments: ' ' } }],
  },
  deltas: [{ role: 'assistant', tool_calls: [call(' ')] }, { tool_calls: [{ index: 0, function: { arguments: '\n' } }] }],
  finish: 'tool_calls',
  usage: { prompt_tokens: 5, completion_tokens: 3 },
});
const leading = await useScriptedChatUpstream({
  message: {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'now', arguments: '\n{"tz":"UTC"}' } }],
  },
  deltas: [{ role: 'assistant', tool_calls: [call('\n')] }, { tool_calls: [{ index: 0, function: { arguments: '{"tz":"UTC"}' } }] }],
  finish: 'tool_calls',
  usage: { prompt_tokens: 5, completion_tokens: 3 },
});
const gw = await useGateway(
  `
version: 1
backends:
  blank: { url: "{{blank}}" }
  leading: { url: "{{leading}}" }
models:
  blank: { targets: [{ backend: blank }] }
  leading: { targets: [{ backend: leading }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { blank: blank.url, leading: leading.url },
);

const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
const params = (model: string) => ({
  model,
  max_tokens: 10,
  messages: [{ role: 'user' as const, content: 'what time is it?' }],
  tools: [{ name: 'now', input_schema: { type: 'object' as const, properties: {} } }],
});
const tools = (m: Anthropic.Message) =>
  m.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, input: b.input }] : []));

describe('a tool call whose streamed arguments are blank', () => {
  it('not streamed: the call with input {}', async () => {
    const m = await client.messages.create(params('blank'));
    expect(tools(m)).toEqual([{ id: 'call_1', name: 'now', input: {} }]);
  });

  it('streamed: the Anthropic SDK reads the same call, where it threw a SyntaxError', async () => {
    const m = await client.messages.stream(params('blank')).finalMessage();
    expect(tools(m)).toEqual([{ id: 'call_1', name: 'now', input: {} }]);
    expect(m.stop_reason).toBe('tool_use');
  });

  it('streamed: blank text before the JSON leaves the JSON whole', async () => {
    const m = await client.messages.stream(params('leading')).finalMessage();
    expect(tools(m)).toEqual([{ id: 'call_1', name: 'now', input: { tz: 'UTC' } }]);
  });
});
