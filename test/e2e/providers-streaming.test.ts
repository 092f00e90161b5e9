/**
 * Translated streams on real sockets, event by event: a scripted upstream holds after its first event and the
 * client must already hold the translated first event before it is released (both directions); a 10k-token
 * answer arrives byte-exact in content; a client that leaves aborts the upstream; what a hostile or broken
 * backend sends ends in the client's own error shape, never a fabricated end.
 */
import { describe, expect, it } from 'vitest';
import { textTurns } from '../../src/anthropic/prompt-view.js';
import { MessagesRequest } from '../../src/anthropic/wire.js';
import { decodeSseBody } from '../../src/openai/sse.js';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'held-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const anthropic = (type: string, body: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;

/** Upstreams that send one event, then wait for the test to release the rest. */
let release: () => void = () => {};
const holdOpenAI = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk({ role: 'assistant', content: 'first' }));
  release = () => {
    res.write(chunk({ content: ' second' }));
    res.write(chunk({}, 'stop'));
    res.write(
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'held-model', choices: [], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  };
});
const holdAnthropic = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(
    anthropic('message_start', {
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-held',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 4, output_tokens: 0 },
      },
    }) +
      anthropic('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      anthropic('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'first' } }),
  );
  release = () => {
    res.write(anthropic('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' second' } }));
    res.write(anthropic('content_block_stop', { index: 0 }));
    res.write(anthropic('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }));
    res.end(anthropic('message_stop', {}));
  };
});

/** Sends whatever the test put in `script` (SSE or a body, by content-type), in one write. */
let script = { type: 'text/event-stream', body: '' };
const scripted = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': script.type });
  res.end(script.body);
});

const gw = await useGateway(
  `
version: 1
limits: { maxEventBytes: 64Ki, responseBuffer: { maxBytes: 1Mi } }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  claude: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-test, mock: { kind: anthropic } }
  hold-openai: { url: "{{holdOpenAI}}" }
  hold-anthropic: { url: "{{holdAnthropic}}", kind: anthropic }
  scripted: { url: "{{scripted}}" }
  scripted-anthropic: { url: "{{scripted}}", kind: anthropic }
models:
  llama: { targets: [{ backend: vllm }] }
  claude: { targets: [{ backend: claude }] }
  hold-openai: { targets: [{ backend: hold-openai }] }
  hold-anthropic: { targets: [{ backend: hold-anthropic }] }
  scripted: { targets: [{ backend: scripted }] }
  scripted-anthropic: { targets: [{ backend: scripted-anthropic }] }
`,
  { holdOpenAI: holdOpenAI.url, holdAnthropic: holdAnthropic.url, scripted: scripted.url },
);

const post = (path: string, body: object, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const ask = [{ role: 'user' as const, content: 'Tell me about canary releases.' }];

/**
 * Reads a stream until `seen(textSoFar)` holds, then releases the upstream; the rest is read to its end.
 * `before` says whether the client saw it while the upstream was still holding.
 */
async function readHeld(r: Response, seen: (text: string) => boolean): Promise<{ before: boolean; text: string }> {
  const reader = r.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let before = false;
  const guard = setTimeout(() => release(), 3000);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (!before && seen(text)) {
      before = true;
      clearTimeout(guard);
      release();
    }
  }
  clearTimeout(guard);
  return { before, text };
}

describe('event by event, no buffering beyond one upstream event', () => {
  it('Anthropic client, OpenAI backend: the translated first text arrives while the upstream holds', async () => {
    const r = await post('/v1/messages', { model: 'hold-openai', max_tokens: 10, messages: ask, stream: true });
    const { before, text } = await readHeld(r, (t) => t.includes('"text_delta","text":"first"'));
    expect(before).toBe(true);
    const events = decodeSseBody(text);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(JSON.parse(events[6]!.data!)).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { input_tokens: 4, output_tokens: 2 },
    });
  });

  it('OpenAI client, Anthropic backend: the translated first content chunk arrives while the upstream holds', async () => {
    const r = await post('/v1/chat/completions', { model: 'hold-anthropic', max_tokens: 10, messages: ask, stream: true });
    const { before, text } = await readHeld(r, (t) => t.includes('"content":"first"'));
    expect(before).toBe(true);
    const events = decodeSseBody(text);
    const contents = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data!).choices[0]?.delta.content);
    expect(contents.join('')).toBe('first second');
    expect(events.at(-1)!.data).toBe('[DONE]');
  });
});

describe('long answers', () => {
  it('a 10k-token answer translated to Anthropic events is byte-exact in content', async () => {
    const r = await post('/v1/messages', { model: 'llama', max_tokens: 10_000, messages: ask, stream: true });
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    let text = '';
    for (const e of events) if (e.event === 'content_block_delta') text += JSON.parse(e.data!).delta.text;
    const expected = generateText(
      chatPromptKey(textTurns(MessagesRequest.parse({ model: 'x', max_tokens: 1, messages: ask }))),
      undefined,
      10_000,
    );
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
    expect(events.at(-1)!.event).toBe('message_stop');
    expect(JSON.parse(events.at(-2)!.data!).usage.output_tokens).toBe(10_000);
  });

  it('a 10k-token answer translated to OpenAI chunks is byte-exact in content', async () => {
    const r = await post('/v1/chat/completions', { model: 'claude', max_tokens: 10_000, messages: ask, stream: true });
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    let text = '';
    for (const e of events) if (e.data && e.data !== '[DONE]') text += JSON.parse(e.data).choices[0]?.delta.content ?? '';
    expect(text === generateText(chatPromptKey(ask), undefined, 10_000)).toBe(true);
    expect(events.at(-1)!.data).toBe('[DONE]');
  });

  it('a client that leaves a translated stream aborts the upstream', async () => {
    const before = (await gw.mockStats('vllm')).aborted.count;
    const controller = new AbortController();
    const r = await post('/v1/messages', { model: 'llama', max_tokens: 100_000, messages: ask, stream: true }, { 'x-mock-tps': '2000' });
    const reader = r.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel();
    await eventually(async () => (await gw.mockStats('vllm')).aborted.count > before, 5000);
  });
});

describe('what a broken backend sends ends in the client’s error shape', () => {
  const openaiBreaks: [string, string, string][] = [
    ['an event that is not JSON', `${chunk({ content: 'hi' })}data: {not json\n\n`, 'bad_upstream_response'],
    ['a stream that ends without a finish reason or [DONE]', chunk({ content: 'hi' }), 'upstream_stream_error'],
    ['a backend error frame', `${chunk({ content: 'hi' })}data: {"error":{"message":"boom"}}\n\n`, 'upstream_stream_error'],
    ['an event over maxEventBytes', `${chunk({ content: 'hi' })}data: ${'x'.repeat(70 * 1024)}`, 'upstream_stream_error'],
  ];
  it.each(openaiBreaks)('OpenAI backend, Anthropic client: %s → one event: error, no message_stop', async (_n, body, _code) => {
    script = { type: 'text/event-stream', body };
    const r = await post('/v1/messages', { model: 'scripted', max_tokens: 10, messages: ask, stream: true });
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
    expect(events.at(-1)!.event).toBe('error');
    expect(JSON.parse(events.at(-1)!.data!)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);
  });

  it('a finish reason, then a clean end without [DONE], is a finished answer (the stated exception)', async () => {
    script = { type: 'text/event-stream', body: chunk({ content: 'hi' }) + chunk({}, 'stop') };
    const r = await post('/v1/messages', { model: 'scripted', max_tokens: 10, messages: ask, stream: true });
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(events.at(-1)!.event).toBe('message_stop');
  });

  // A whole message_start (its stop_reason null, as Anthropic sends it): one the translation cannot read is refused before
  // the answer begins, and fails over (trust-translate-first-event-refused.test.ts).
  const started =
    anthropic('message_start', {
      message: {
        id: 'm',
        type: 'message',
        role: 'assistant',
        model: 'x',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 0 },
      },
    }) +
    anthropic('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
    anthropic('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x' } });
  const overloaded = anthropic('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
  const anthropicBreaks: [string, string][] = [
    ['a stream that ends without message_stop', started],
    ['an error event after a content block began', started + overloaded],
  ];
  it.each(anthropicBreaks)('Anthropic backend, OpenAI client: %s → one error frame, no [DONE]', async (_n, body) => {
    script = { type: 'text/event-stream', body };
    const r = await post('/v1/chat/completions', { model: 'scripted-anthropic', max_tokens: 10, messages: ask, stream: true });
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    const errors = events.filter((e) => e.data?.startsWith('{"error"'));
    expect(errors).toHaveLength(1);
    expect(events.at(-1)).toBe(errors[0]);
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });

  const messageStart = anthropic('message_start', {
    message: { id: 'm', type: 'message', role: 'assistant', model: 'x', content: [], usage: { input_tokens: 1, output_tokens: 0 } },
  });
  it.each([
    ['as the first event', overloaded],
    ['after message_start and ping (a preamble: no answer yet)', messageStart + anthropic('ping', {}) + overloaded],
  ])('Anthropic backend, OpenAI client: an error %s → no stream, the error answer it means (an overload: 502)', async (_n, body) => {
    script = { type: 'text/event-stream', body };
    const r = await post('/v1/chat/completions', { model: 'scripted-anthropic', max_tokens: 10, messages: ask, stream: true });
    expect(r.status).toBe(502);
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(await r.json()).toMatchObject({ error: { code: 'upstream_error', message: expect.stringContaining('Overloaded') } });
  });

  it('Anthropic backend, OpenAI client: an event before message_start → no stream, 502 (refused before an answer began)', async () => {
    script = { type: 'text/event-stream', body: anthropic('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x' } }) };
    const r = await post('/v1/chat/completions', { model: 'scripted-anthropic', max_tokens: 10, messages: ask, stream: true });
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({
      error: { code: 'bad_upstream_response', message: expect.stringContaining('before message_start') },
    });
  });

  it('Anthropic backend, OpenAI client: a message_start without stop_reason (the SDK reads one) streams as one with null', async () => {
    const body =
      messageStart +
      anthropic('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      anthropic('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x' } }) +
      anthropic('content_block_stop', { index: 0 }) +
      anthropic('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } }) +
      anthropic('message_stop', {});
    script = { type: 'text/event-stream', body };
    const r = await post('/v1/chat/completions', { model: 'scripted-anthropic', max_tokens: 10, messages: ask, stream: true });
    expect(r.status).toBe(200);
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(events.at(-1)!.data).toBe('[DONE]');
    const text = events
      .filter((e) => e.data?.startsWith('{'))
      .map((e) => JSON.parse(e.data!).choices?.[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('x');
  });

  it('Anthropic backend, OpenAI client: a stream that ends after its message_start → no stream, 502 (it ended before an answer)', async () => {
    script = { type: 'text/event-stream', body: messageStart };
    const r = await post('/v1/chat/completions', { model: 'scripted-anthropic', max_tokens: 10, messages: ask, stream: true });
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ error: { code: 'bad_upstream_response' } });
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    ['a body that is not a chat completion', '{"hello":1}'],
    ['a body over limits.responseBuffer.maxBytes', `{"x":"${'y'.repeat(1100 * 1024)}"}`],
  ])('not streamed, %s → 502 api_error before any byte', async (_n, body) => {
    script = { type: 'application/json', body };
    const r = await post('/v1/messages', { model: 'scripted', max_tokens: 10, messages: ask });
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('Anthropic to Anthropic passes the backend’s error event through once, and counts the cut', async () => {
    const cuts = gw.eventsOf('truncation').length;
    const r = await post(
      '/v1/messages',
      { model: 'claude', max_tokens: 30, messages: ask, stream: true },
      { 'x-mock-fault': 'error-after:3' },
    );
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
    expect(JSON.parse(events.at(-1)!.data!)).toMatchObject({ error: { type: 'overloaded_error' } });
    await eventually(() => gw.eventsOf('truncation').length > cuts);
  });
});
