/**
 * OpenAI backend → Anthropic client, a chunk that starts many tool calls at once. Each start is a tool_use block to the
 * client — its content_block_start (with an id made from the answer's when the call came without one), its
 * content_block_stop when the next starts — ~500 bytes where the chunk spent ~40: one chunk under limits.maxEventBytes
 * became twelve times its size in frames, built at once (a 16 MiB chunk: 203 MB of frames, 400 MB of heap). A chunk
 * may start 128 calls; more end the stream with its error frame. An answer's few calls sent whole in one chunk (as
 * servers that parse the calls at the end send them) still reach the client, read by @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../src/openai/sse.js';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-call-starts';
/** Starts in one chunk of under 1 MiB (the profile's maxEventBytes). */
const STARTS = 20_000;
const ID = 'c'.repeat(256);

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: ID, object: 'chat.completion.chunk', created: 1, model: 'g', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const many = Array.from({ length: STARTS }, (_, i) => ({ index: i, function: { name: 'f' } }));
const few = [0, 1, 2].map((i) => ({ index: i, id: `call_${i}`, type: 'function', function: { name: 'f', arguments: `{"n":${i}}` } }));

const stream = (calls: object[]) =>
  chunk({ role: 'assistant', content: '' }) +
  chunk({ tool_calls: calls }) +
  chunk({}, 'tool_calls') +
  `data: ${JSON.stringify({ id: ID, choices: [], usage: { prompt_tokens: 5, completion_tokens: 9 } })}\n\ndata: [DONE]\n\n`;

const up = await useUpstream((_req, res, body) => {
  const model = (JSON.parse(body) as { model: string }).model;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(stream(model === 'many' ? many : few));
});
const gw = await useGateway(
  `
version: 1
limits: { maxEventBytes: 1Mi }
backends:
  oa: { url: "{{u}}" }
models:
  many: { targets: [{ backend: oa, model: many }] }
  few: { targets: [{ backend: oa, model: few }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { u: up.url },
);

describe('tool calls started in one chunk', () => {
  it(`${STARTS} starts in a chunk under 1 MiB: an error frame, not twelve times the chunk in frames`, async () => {
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ model: 'many', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const body = Buffer.from(await r.arrayBuffer());
    const events = decodeSseBody(body);
    expect(events.at(-1)?.event).toBe('error');
    expect(events.at(-1)?.data).toContain('tool calls in one chunk');
    const e = await gw.requestEvent(r.headers.get('x-request-id'));
    // The chunk is ~0.8 MB; translated whole it was ~10 MB of frames.
    expect(e.bytesOut).toBeLessThan(1024 ** 2);
  });

  it("an answer's few calls in one chunk reach the Anthropic SDK", async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
    const m = await client.messages.stream({ model: 'few', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(m.content.map((b) => (b.type === 'tool_use' ? [b.id, b.input] : b.type))).toEqual([
      ['call_0', { n: 0 }],
      ['call_1', { n: 1 }],
      ['call_2', { n: 2 }],
    ]);
    expect(m.stop_reason).toBe('tool_use');
  });
});
