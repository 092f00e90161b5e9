/**
 * OpenAI backend → Anthropic client, a non-streamed tool call whose arguments hold a number JavaScript cannot hold
 * exactly (a 19-digit account id, a snowflake). The translation parsed the arguments and wrote them again as the
 * tool_use block's input: `12345678901234567891` reached the client as `12345678901234567000`, and a client that reads
 * numbers exactly (Python's json, the anthropic SDK for Python) called the tool with another id. The same answer streamed
 * reached it as the backend wrote it (its arguments go out as text). The input is now the backend's text, checked to be
 * a JSON object, as the stream sends it. The judge is the client's raw body.
 */
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-tool-input-exact';
const ARGS = '{"account": 12345678901234567891, "amount": 10.50, "note": "\\u00e9\\ud83d\\ude00"}';

const up = await useUpstream((_req, res) => {
  const call = { id: 'call_1', type: 'function', function: { name: 'pay', arguments: ARGS } };
  const answer = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt',
    choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [call] }, finish_reason: 'tool_calls' }],
    usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
});
const gw = await useGateway(scriptedBackendProfile(KEY), { u: up.url });

describe("a tool call's arguments, not streamed, to an Anthropic client", () => {
  it('reach it as the backend wrote them: every digit of a large number', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt', max_tokens: 50, messages: [{ role: 'user', content: 'pay' }] }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('12345678901234567891');
    const m = JSON.parse(text) as { content: { type: string; id: string; name: string; input: unknown }[]; stop_reason: string };
    expect(m.stop_reason).toBe('tool_use');
    expect(m.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'pay', input: JSON.parse(ARGS) }]);
  });
});
