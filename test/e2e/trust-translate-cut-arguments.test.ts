/**
 * OpenAI backend → Anthropic client, a streamed tool call cut by the token limit whose arguments had stopped being JSON
 * (`{"city": "Paris"} and`, a tool parser's stray text). A call cut by finish_reason `length` is closed without the
 * check a finished one gets (its JSON may end mid-way, as Anthropic's own does under max_tokens), so every delta had
 * gone out, and the Anthropic SDK, which parses a tool block's input_json_delta text at content_block_stop, threw a
 * SyntaxError there: the whole answer lost, with nothing saying it was cut. Only text that is still the start of a JSON
 * object goes out now: the SDK reads the call as far as its JSON went, and stop_reason max_tokens says it was cut. A call
 * that finishes with such arguments is still refused. The judge is the official @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useScriptedChatUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-cut-args';

/** A call whose arguments come in `pieces`, the answer ending with `finish`. */
const answer = (pieces: string[], finish: string) =>
  useScriptedChatUpstream({
    message: {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: pieces.join('') } }],
    },
    deltas: [
      { role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }] },
      ...pieces.map((arguments_) => ({ tool_calls: [{ index: 0, function: { arguments: arguments_ } }] })),
    ],
    finish,
    usage: { prompt_tokens: 5, completion_tokens: 10 },
  });

const strayCut = await answer(['{"city": "Par', 'is"} and', ' more'], 'length');
const garbageCut = await answer(['Paris, ', 'France'], 'length');
const strayFinished = await answer(['{"city": "Par', 'is"} and', ' more'], 'tool_calls');
const gw = await useGateway(
  `
version: 1
backends:
  stray-cut: { url: "{{strayCut}}" }
  garbage-cut: { url: "{{garbageCut}}" }
  stray-finished: { url: "{{strayFinished}}" }
models:
  stray-cut: { targets: [{ backend: stray-cut }] }
  garbage-cut: { targets: [{ backend: garbage-cut }] }
  stray-finished: { targets: [{ backend: stray-finished }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { strayCut: strayCut.url, garbageCut: garbageCut.url, strayFinished: strayFinished.url },
);

const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
const params = (model: string) => ({
  model,
  max_tokens: 10,
  messages: [{ role: 'user' as const, content: 'weather in Paris?' }],
  tools: [{ name: 'weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }],
});
const tools = (m: Anthropic.Message) => m.content.flatMap((b) => (b.type === 'tool_use' ? [{ name: b.name, input: b.input }] : []));

describe('a streamed tool call cut by the token limit after its arguments stopped being JSON', () => {
  it('reaches the Anthropic SDK as far as its JSON went, with stop_reason max_tokens (it threw a SyntaxError)', async () => {
    const m = await client.messages.stream(params('stray-cut')).finalMessage();
    expect(tools(m)).toEqual([{ name: 'weather', input: { city: 'Paris' } }]);
    expect(m.stop_reason).toBe('max_tokens');
  });

  it('arguments that never began as JSON: the call with no input, stop_reason max_tokens', async () => {
    const m = await client.messages.stream(params('garbage-cut')).finalMessage();
    expect(tools(m)).toEqual([{ name: 'weather', input: {} }]);
    expect(m.stop_reason).toBe('max_tokens');
  });

  it('the same arguments in a call that finished are refused, as before', async () => {
    await expect(client.messages.stream(params('stray-finished')).finalMessage()).rejects.toThrow(/not a JSON object/);
  });
});
