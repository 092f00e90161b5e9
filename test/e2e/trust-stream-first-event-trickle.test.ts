/**
 * A stream's first event is read before the client's head is written (relay/first-event.ts), so that an error there
 * fails over — but the wait for it was bounded by nothing but `timeouts.idle` between reads: a backend that answered
 * its head and then trickled its first event a byte at a time, each inside the idle timeout, held the client with no
 * head at all (4 KiB at a byte a read: at the defaults, a byte every 59 s, ~67 hours), its slot and its connection, and
 * no other target was tried. The head of a backend's answer is due by a deadline, not after a quiet spell; the first
 * event it holds the client's head for is due likewise: within `timeouts.firstByte` of its first bytes, else the
 * attempt times out before anything reached the client, and another target may answer.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';
import { anthropicEvent, messageStart } from '../helpers/anthropic-sse.js';

const chunk = (t: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: t }, finish_reason: null }] })}\n\n`;

/** A backend that answers a stream's head, then its first event a byte every 20 ms — never a whole event. */
const trickler = () =>
  useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"id"');
    const t = setInterval(() => res.write(' '), 20);
    res.on('close', () => clearInterval(t));
  });

/** The deadline of a first event begun (timeouts.firstByte); the idle timeout is ten times it. */
const FIRST_BYTE_MS = 500;

const anthropicAnswer = (text: string) =>
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }) +
  anthropicEvent('content_block_stop', { index: 0 }) +
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }) +
  anthropicEvent('message_stop', {});

/**
 * An Anthropic backend under load: `message_start`, then a `ping` every 250 ms for 1 s — twice the first-event
 * deadline — before its content. Each ping is a whole event: progress, not a trickle.
 */
const pinging = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(messageStart({ input_tokens: 1, output_tokens: 1 }));
  let n = 0;
  const t = setInterval(() => {
    if (++n <= 4) return void res.write(anthropicEvent('ping', {}));
    clearInterval(t);
    res.end(anthropicAnswer('late but whole'));
  }, 250);
  res.on('close', () => clearInterval(t));
});

/** An Anthropic-API server prefilling in silence after its `message_start`: three times the deadline, well inside idle. */
const prefilling = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(messageStart({ input_tokens: 1, output_tokens: 1 }));
  const t = setTimeout(() => res.end(anthropicAnswer('after a long prefill')), 3 * FIRST_BYTE_MS);
  res.on('close', () => clearTimeout(t));
});

/** Blank lines every 250 ms for 1 s (a keep-alive), then a whole answer. */
const blanks = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let n = 0;
  const t = setInterval(() => {
    if (++n <= 4) return void res.write('\n');
    clearInterval(t);
    res.end(`${chunk('after blanks')}data: [DONE]\n\n`);
  }, 250);
  res.on('close', () => clearInterval(t));
});

const [slow, good] = [
  await trickler(),
  await useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`${chunk('from good')}data: [DONE]\n\n`);
  }),
];
const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: ${FIRST_BYTE_MS}ms, idle: ${10 * FIRST_BYTE_MS}ms }
resilience: { consecutiveFailures: 100 }
backends:
  slow: { url: "{{slow}}" }
  good: { url: "{{good}}" }
  an: { url: "{{an}}", kind: anthropic }
  pre: { url: "{{pre}}", kind: anthropic }
  blanks: { url: "{{blanks}}" }
models:
  claude: { targets: [{ backend: an }] }
  prefill: { targets: [{ backend: pre }] }
  blank: { targets: [{ backend: blanks }] }
  alone: { targets: [{ backend: slow }] }
  pair: { targets: [{ backend: slow }, { backend: good }] }
`,
  { slow: slow.url, good: good.url, an: pinging.url, pre: prefilling.url, blanks: blanks.url },
);

// Before: no head at all after 15 s (the trickle would have held it for ~80 s); each read kept the idle timer off.
const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { abortAfterMs: 15_000 });
const askAnthropic = (model: string) =>
  rawPost(
    `${gw.url}/v1/messages`,
    { model, max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] },
    { headers: { 'anthropic-version': '2023-06-01' } },
  );

describe('a first event trickled a byte at a time', () => {
  it('times out at timeouts.firstByte: 504 upstream_timeout when no other target is left', async () => {
    const r = await ask('alone');
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body.toString()).error.code).toBe('upstream_timeout');
    expect(r.headersAt).toBeLessThan(8 * FIRST_BYTE_MS);
  });

  it('fails over to the next target, nothing of the trickle reaching the client', async () => {
    const r = await ask('pair');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${chunk('from good')}data: [DONE]\n\n`);
    expect(slow.seen.length).toBe(2);
  });

  it('leaves alone a stream whose whole preamble events keep coming past the deadline (Anthropic pings)', async () => {
    const r = await askAnthropic('claude');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('late but whole');
    expect(r.body.toString()).toContain('message_stop');
  });

  it('leaves alone a silence after a whole preamble event: no event begun is due by the deadline (a long prefill)', async () => {
    const r = await askAnthropic('prefill');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('after a long prefill');
  });

  it('leaves alone blank lines kept coming before the first event', async () => {
    const r = await ask('blank');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('after blanks');
  });
});
