/**
 * Anthropic backend → OpenAI client, a stream whose tool_use block opens with its input whole — in its
 * content_block_start, or in message_start's content (an answer sent whole there) — holding a number JavaScript cannot
 * hold exactly (a 19-digit id). The translation wrote the parsed input again as the call's arguments:
 * `12345678901234567891` reached the client as `12345678901234567000`, where input sent as input_json_delta goes out
 * as the backend's text. The arguments are now the input's text as the backend wrote it; openai-node's
 * finalChatCompletion() is the judge (it keeps arguments as the text it got).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-stream-start-input-exact';
const INPUT = '{"account": 12345678901234567891, "note": "]}\\"", "input": 1}';
const message = (content: string) =>
  `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"c",` +
  `"content":${content},"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}\n\n`;
const END =
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }) + ev('message_stop', {});
const STREAMS: Record<string, string> = {
  content_block_start: `${message('[]')}event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"pay","input":${INPUT}}}\n\n${ev('content_block_stop', { index: 0 })}${END}`,
  message_start: `${message(`[{"type":"text","text":"paying"},{"type":"tool_use","id":"toolu_1","name":"pay","input":${INPUT}}]`)}${END}`,
};

const up = await useUpstream((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' }).end(STREAMS[req.headers['x-case'] as string]);
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

describe("a tool_use block's opening input, streamed to an OpenAI client", () => {
  for (const where of Object.keys(STREAMS)) {
    it(`in ${where}: the arguments are the input as the backend wrote it`, async () => {
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0, defaultHeaders: { 'x-case': where } });
      const done = await client.chat.completions
        .stream({ model: 'claude', messages: [{ role: 'user', content: 'pay' }], stream: true })
        .finalChatCompletion();
      const call = done.choices[0]!.message.tool_calls![0]!;
      expect(call.type === 'function' && [call.id, call.function.name, call.function.arguments]).toEqual(['toolu_1', 'pay', INPUT]);
      expect(done.choices[0]!.finish_reason).toBe('tool_calls');
    });
  }
});
