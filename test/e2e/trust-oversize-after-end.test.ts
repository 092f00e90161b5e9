/**
 * A backend that talks on after its end marker with one event larger than limits.maxEventBytes, in the second it has to
 * end (AFTER_DONE_MS). The answer was whole: what comes after `message_stop` / `[DONE]` is dropped, however large. It
 * was cut as an event too large instead — the Anthropic client of an Anthropic backend got an `event: error` after
 * `message_stop`, which the Anthropic SDK throws on (its finished answer thrown away), and every path recorded the whole
 * answer as a truncated stream with upstream_stream_error (its metrics an error, a truncation event published).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev, messageStart } from '../helpers/anthropic-sse.js';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-after-end';
/** Past the profile's maxEventBytes (64 KiB), with no blank line: an event still arriving. */
const OVERSIZE = `data: ${'x'.repeat(100 * 1024)}`;

const ANTHROPIC =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello world' } }) +
  ev('content_block_stop', { index: 0 }) +
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }) +
  ev('message_stop', {});

const chunk = (o: object) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'g', ...o })}\n\n`;
const OPENAI =
  chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello world' }, finish_reason: null }] }) +
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
  chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }) +
  'data: [DONE]\n\n';

/** The whole stream, then the oversize event, and the connection left open (the gateway ends it). */
const talksOn = (stream: string) =>
  useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(stream);
    res.write(OVERSIZE);
  });

const an = await talksOn(ANTHROPIC);
const oa = await talksOn(OPENAI);
const gw = await useGateway(
  `
version: 1
limits: { maxEventBytes: 64Ki }
backends:
  an: { url: "{{an}}", kind: anthropic }
  oa: { url: "{{oa}}" }
models:
  claude: { targets: [{ backend: an }] }
  gpt: { targets: [{ backend: oa }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { an: an.url, oa: oa.url },
);

/** A fetch that notes each answer's x-request-id. */
function noting(ids: string[]): typeof fetch {
  return async (input, init) => {
    const r = await fetch(input, init);
    ids.push(r.headers.get('x-request-id') ?? '');
    return r;
  };
}

const ask = [{ role: 'user' as const, content: 'hi' }];

async function expectWhole(requestId: string | undefined): Promise<void> {
  const e = await gw.requestEvent(requestId);
  expect(e.status).toBe(200);
  expect(e.truncated).toBe(false);
  expect(e.errorType).toBeUndefined();
}

describe('an event over maxEventBytes after the end marker', () => {
  it('an Anthropic client of an Anthropic backend keeps its finished answer', async () => {
    const ids: string[] = [];
    const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0, fetch: noting(ids) });
    const m = await client.messages.stream({ model: 'claude', max_tokens: 10, messages: ask }).finalMessage();
    expect(m.content).toEqual([{ type: 'text', text: 'Hello world' }]);
    expect(m.stop_reason).toBe('end_turn');
    await expectWhole(ids[0]);
  });

  it('an OpenAI client of an Anthropic backend: the answer is recorded whole', async () => {
    const ids: string[] = [];
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0, fetch: noting(ids) });
    const c = await client.chat.completions.stream({ model: 'claude', messages: ask }).finalChatCompletion();
    expect(c.choices[0]!.message.content).toBe('Hello world');
    await expectWhole(ids[0]);
  });

  it('an Anthropic client of an OpenAI backend: the answer is recorded whole', async () => {
    const ids: string[] = [];
    const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0, fetch: noting(ids) });
    const m = await client.messages.stream({ model: 'gpt', max_tokens: 10, messages: ask }).finalMessage();
    expect(m.content).toEqual([{ type: 'text', text: 'Hello world' }]);
    await expectWhole(ids[0]);
  });

  it('an OpenAI client of an OpenAI backend: the answer is recorded whole', async () => {
    const ids: string[] = [];
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0, fetch: noting(ids) });
    const c = await client.chat.completions.stream({ model: 'gpt', messages: ask }).finalChatCompletion();
    expect(c.choices[0]!.message.content).toBe('Hello world');
    await expectWhole(ids[0]);
  });
});
