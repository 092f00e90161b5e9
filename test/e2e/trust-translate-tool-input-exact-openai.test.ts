/**
 * Anthropic backend → OpenAI client, a non-streamed tool_use whose input holds a number JavaScript cannot hold exactly
 * (a 19-digit account id, a snowflake). The translation parsed the Message and wrote the input again as the call's
 * arguments: `12345678901234567891` reached the client as `12345678901234567000`, and a client that reads numbers
 * exactly (Python's json, the openai SDK for Python) called the tool with another id, where the same answer streamed
 * reached it as the backend wrote it (partial_json goes out as text). The arguments are now the input's text as the
 * backend wrote it. The mirror of trust-translate-tool-input-exact (OpenAI backend → Anthropic client).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-tool-input-exact-openai';
const INPUT = '{"account": 12345678901234567891, "amount": 10.50, "note": "\\u00e9\\ud83d\\ude00", "input": {"n": 1e400}}';
// Written by hand, as a backend may: blanks between tokens, a key repeated (JSON.parse keeps the last), escapes in keys.
const MESSAGE =
  '{"id":"msg_1","type":"message","role":"assistant","model":"claude-x",\n "content" : [ {"type":"text","text":"paying \\"now\\" ]}"},' +
  ` {"type":"tool_use","id":"toolu_1","name":"pay","input":{"old":1}, "\\u0069nput" : ${INPUT}} ,` +
  '{"type":"tool_use","id":"toolu_2","name":"noop","input":{}}],' +
  '"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":9}}';

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(MESSAGE);
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

describe("a tool_use's input, not streamed, to an OpenAI client", () => {
  it('reaches it as the backend wrote it: every digit of a large number', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'pay' }] })
      .withResponse();
    expect(response.status).toBe(200);
    const message = data.choices[0]!.message;
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.content).toBe('paying "now" ]}');
    const calls = message.tool_calls!.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : []));
    expect(calls).toEqual([
      ['toolu_1', 'pay', INPUT],
      ['toolu_2', 'noop', '{}'],
    ]);
    expect(JSON.parse(calls[0]![2]!)).toEqual(JSON.parse(INPUT));
  });
});
