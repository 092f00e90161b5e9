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

/**
 * An Anthropic backend under load: `message_start`, then a `ping` every 100 ms for 800 ms — past the first-byte
 * deadline — before its content. Each ping is a whole event: progress, not a trickle.
 */
const pinging = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(messageStart({ input_tokens: 1, output_tokens: 1 }));
  let n = 0;
  const t = setInterval(() => {
    if (++n <= 8) return void res.write(anthropicEvent('ping', {}));
    clearInterval(t);
    res.end(
      anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
        anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'late but whole' } }) +
        anthropicEvent('content_block_stop', { index: 0 }) +
        anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }) +
        anthropicEvent('message_stop', {}),
    );
  }, 100);
  res.on('close', () => clearInterval(t));
});

/** Blank lines every 100 ms for 800 ms (a keep-alive), then a whole answer. */
const blanks = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let n = 0;
  const t = setInterval(() => {
    if (++n <= 8) return void res.write('\n');
    clearInterval(t);
    res.end(`${chunk('after blanks')}data: [DONE]\n\n`);
  }, 100);
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
timeouts: { firstByte: 300ms, idle: 200ms }
resilience: { consecutiveFailures: 100 }
backends:
  slow: { url: "{{slow}}" }
  good: { url: "{{good}}" }
  an: { url: "{{an}}", kind: anthropic }
  blanks: { url: "{{blanks}}" }
models:
  claude: { targets: [{ backend: an }] }
  blank: { targets: [{ backend: blanks }] }
  alone: { targets: [{ backend: slow }] }
  pair: { targets: [{ backend: slow }, { backend: good }] }
`,
  { slow: slow.url, good: good.url, an: pinging.url, blanks: blanks.url },
);

// Before: no head at all after 5 s (the trickle would have held it for ~80 s more); each read kept the idle timer off.
const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { abortAfterMs: 5000 });

describe('a first event trickled a byte at a time', () => {
  it('times out at timeouts.firstByte: 504 upstream_timeout when no other target is left', async () => {
    const r = await ask('alone');
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body.toString()).error.code).toBe('upstream_timeout');
    expect(r.headersAt).toBeLessThan(2500);
  });

  it('fails over to the next target, nothing of the trickle reaching the client', async () => {
    const r = await ask('pair');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${chunk('from good')}data: [DONE]\n\n`);
    expect(slow.seen.length).toBe(2);
  });

  it('leaves alone a stream whose whole preamble events keep coming past the deadline (Anthropic pings)', async () => {
    const r = await rawPost(
      `${gw.url}/v1/messages`,
      { model: 'claude', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      {
        headers: { 'anthropic-version': '2023-06-01' },
      },
    );
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('late but whole');
    expect(r.body.toString()).toContain('message_stop');
  });

  it('leaves alone blank lines kept coming before the first event', async () => {
    const r = await ask('blank');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('after blanks');
  });
});
