/**
 * A backend that answers 200 and then says, in its stream's first event, that it failed — vLLM's engine failing at
 * its first step, a provider's `overloaded_error` before its `message_start` or right after it (and its `ping`:
 * Anthropic's preamble, which says nothing of the answer yet). Nothing has reached the client then:
 * the attempt fails as that error answer would (an overload fails over to the next target; a client's mistake is
 * told with its status), where before the client got a stream that was only an error. Once an event went out, an
 * error still ends the stream (trust 18). The official SDKs are the judges.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const sse = (res: import('node:http').ServerResponse, events: string[], gapMs = 0): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let i = 0;
  const next = (): void => {
    if (i === events.length) return void res.end();
    res.write(events[i++]);
    setTimeout(next, gapMs);
  };
  next();
};

const CHUNK = (content: string) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const ENGINE_DEAD = `data: ${JSON.stringify({ error: { object: 'error', message: 'EngineCore encountered an issue', type: 'InternalServerError', code: 500 } })}\n\n`;
const BAD_PARAM = `data: ${JSON.stringify({ error: { object: 'error', message: 'logprobs must be at most 20', type: 'BadRequestError', code: 400 } })}\n\n`;
const OVERLOADED = `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`;

/** What the first backend sends, per test: its first event an error, or a chunk and then the error. */
let script: { events: string[]; gapMs?: number } = { events: [ENGINE_DEAD, 'data: [DONE]\n\n'] };
const failing = await useUpstream((_req, res) => sse(res, script.events, script.gapMs));
const MESSAGE_START = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'a', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } })}\n\n`;
const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const TEXT_START = `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`;
const TEXT = (text: string) =>
  `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`;
let anthropicScript: { events: string[]; gapMs?: number } = { events: [OVERLOADED] };
const anthropicFailing = await useUpstream((_req, res) => sse(res, anthropicScript.events, anthropicScript.gapMs));

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 1000 }
backends:
  failing: { url: "{{failing}}" }
  anthropic-failing: { url: "{{anthropicFailing}}", kind: anthropic }
  healthy: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  engine-down: { url: http://127.0.0.1:0, mock: { kind: vllm, faults: { rate: 1, kinds: ['error-after:0'] } } }
models:
  m: { targets: [{ backend: failing }], fallbacks: [spare] }
  a: { targets: [{ backend: anthropic-failing }], fallbacks: [spare] }
  canary: { targets: [{ backend: engine-down, weight: 50 }, { backend: healthy, weight: 50 }] }
  spare: { targets: [{ backend: healthy }] }
`,
  { failing: failing.url, anthropicFailing: anthropicFailing.url },
);

const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });

async function streamText(model: string): Promise<string> {
  const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  return text;
}

describe("a stream whose first event is the backend's error", () => {
  it('an engine error (500) fails over: the client streams the fallback’s whole answer, and never sees the error', async () => {
    script = { events: [ENGINE_DEAD, 'data: [DONE]\n\n'] };
    const before = failing.seen.length;
    expect((await streamText('m')).length).toBeGreaterThan(0);
    expect(failing.seen.length).toBe(before + 1);
    const last = gw.eventsOf('request').at(-1)!;
    expect(last).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
    expect(gw.eventsOf('upstream_error').at(-1)).toMatchObject({ backend: 'failing', retried: true });
  });

  it('the same error trickled a byte a read is read whole before the client’s head, and fails over too', async () => {
    script = { events: [...ENGINE_DEAD], gapMs: 1 };
    expect((await streamText('m')).length).toBeGreaterThan(0);
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ backend: 'healthy', attempts: 2 });
  });

  it("a client's mistake (400) is told with its status and the backend's message: no other target is tried", async () => {
    script = { events: [BAD_PARAM, 'data: [DONE]\n\n'] };
    const err = await streamText('m').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('logprobs must be at most 20');
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 400, backend: 'failing', attempts: 1 });
  });

  it("an Anthropic backend's overloaded_error before message_start fails over for an Anthropic client", async () => {
    anthropicScript = { events: [OVERLOADED] };
    const stream = anthropic.messages.stream({ model: 'a', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
  });

  it("an Anthropic backend's overloaded_error after message_start and ping (each its own read) fails over for either client", async () => {
    anthropicScript = { events: [MESSAGE_START, PING, OVERLOADED], gapMs: 5 };
    const before = anthropicFailing.seen.length;
    const message = await anthropic.messages
      .stream({ model: 'a', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
    // The OpenAI client of the same backend (its stream translated) never sees the overload either.
    expect((await streamText('a')).length).toBeGreaterThan(0);
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
    expect(anthropicFailing.seen.length).toBe(before + 2);
  });

  it('an Anthropic stream that ends after its message_start, with no answer, fails over as an empty stream does', async () => {
    anthropicScript = { events: [MESSAGE_START, PING] };
    const message = await anthropic.messages
      .stream({ model: 'a', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
  });

  it('a preamble past the 4 KiB the head waits for begins the stream: an overload after it ends it, nothing hangs', async () => {
    const padded = MESSAGE_START.replace('"id":"msg_1"', `"id":"msg_${'x'.repeat(5000)}"`);
    anthropicScript = { events: [padded, OVERLOADED], gapMs: 5 };
    const err = await anthropic.messages
      .stream({ model: 'a', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    await eventually(() => gw.eventsOf('request').at(-1)?.backend === 'anthropic-failing');
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ attempts: 1 });
  });

  it('once an Anthropic content block began, an overload ends the stream: the client has the text and the SDK throws', async () => {
    anthropicScript = { events: [MESSAGE_START, TEXT_START, TEXT('Hel'), OVERLOADED], gapMs: 5 };
    let text = '';
    const err = await (async () => {
      const stream = anthropic.messages.stream({ model: 'a', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
      stream.on('text', (t) => {
        text += t;
      });
      await stream.finalMessage();
    })().catch((e: unknown) => e);
    expect(text).toBe('Hel');
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toContain('Overloaded');
    await eventually(() => gw.eventsOf('request').at(-1)?.backend === 'anthropic-failing');
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ attempts: 1 });
  });

  it("a mock vLLM whose engine fails at every first step (fault error-after:0) costs its canary's clients nothing", async () => {
    const texts = await Promise.all(Array.from({ length: 20 }, () => streamText('canary')));
    expect(texts.every((t) => t.length > 0)).toBe(true);
    const last = gw.eventsOf('request').slice(-20);
    expect(last.every((e) => e.status === 200 && e.backend === 'healthy')).toBe(true);
    // Half of them were sent to the failing canary first.
    expect(last.filter((e) => e.attempts === 2).length).toBeGreaterThan(0);
  });

  it('after a first event went out, an error still ends the stream: the SDK throws mid-stream, nothing is failed over', async () => {
    script = { events: [CHUNK('Hel'), ENGINE_DEAD], gapMs: 5 };
    let text = '';
    const err = await (async () => {
      const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(text).toBe('Hel');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    // Published as the gateway ends the answer, which may come after the client read the error frame.
    await eventually(() => gw.eventsOf('request').at(-1)?.backend === 'failing');
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 200, attempts: 1 });
  });
});
