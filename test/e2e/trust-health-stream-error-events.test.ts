/**
 * A backend's own error event mid-stream ended the client's stream (upstream_stream_error) but was read as the
 * backend answering: a backend answering every stream at once with `data: {"error": …}` — an engine that fails each
 * request — was never ejected, and under strategy latency it had no time to first token to be judged by and no request
 * in flight, so it cost nothing and took nearly every request (28 of 30 here) from a healthy replica. An error event
 * is judged now as a 2xx error body is, by the status it means: a server fault counts, the request's own (a 400) not.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const CHUNK = JSON.stringify({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'llama',
  choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }],
});

/**
 * Every stream: a first chunk, then an error event at once (and the end marker, as vLLM ends one). An error as the
 * first event fails the attempt before the client's head (failover-first-event-error.test.ts); after one it can only
 * end the stream.
 */
const failing = (error: object) =>
  useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${CHUNK}\n\ndata: ${JSON.stringify({ error })}\n\ndata: [DONE]\n\n`);
  });
const broken = await failing({ message: 'engine step failed', type: 'internal_error' });
const picky = await failing({ message: 'this grammar cannot be compiled', type: 'BadRequestError', code: 400 });

/** Every stream whole, its first event 30 ms in. */
const whole = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  setTimeout(() => res.end(`data: ${CHUNK}\n\ndata: [DONE]\n\n`), 30);
});

const profile = (strategy: string, failures: number) => `
version: 1
resilience: { consecutiveFailures: ${failures}, cooldown: 60s }
backends:
  broken: { url: "{{broken}}" }
  picky: { url: "{{picky}}" }
  whole: { url: "{{whole}}" }
models:
  chat:
    strategy: ${strategy}
    targets: [{ backend: broken, model: llama }, { backend: whole, model: llama }]
  strict: { targets: [{ backend: picky, model: llama }] }
`;
const urls = { broken: broken.url, picky: picky.url, whole: whole.url };
const latency = await useGateway(profile('latency', 2), urls);
const rotating = await useGateway(profile('weighted', 2), urls);
const strictOnce = await useGateway(profile('weighted', 1), urls);

const ask = (url: string, model = 'chat') =>
  rawPost(`${url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });

describe("a backend's error event mid-stream", () => {
  it('does not win the traffic of strategy latency', async () => {
    let errors = 0;
    let served = 0;
    for (let i = 0; i < 30; i++) {
      const r = await ask(latency.url);
      expect(r.status).toBe(200);
      if (r.headers['x-aigw-backend'] === 'broken') {
        errors++;
        expect(r.body.toString()).toContain('engine step failed');
      } else {
        served++;
        expect(r.body.toString()).toContain('Hello');
      }
    }
    // At most the two that eject it.
    expect(errors).toBeLessThanOrEqual(2);
    expect(served).toBeGreaterThanOrEqual(28);
  }, 30_000);

  it('saying a server fault, ejects the backend after consecutiveFailures of them', async () => {
    let errors = 0;
    for (let i = 0; i < 30 && errors < 2; i++) if ((await ask(rotating.url)).headers['x-aigw-backend'] === 'broken') errors++;
    expect(errors).toBe(2);
    expect(
      rotating
        .eventsOf('ejection')
        .filter((e) => e.ejected)
        .map((e) => e.backend),
    ).toEqual(['broken']);
    for (let i = 0; i < 6; i++) expect((await ask(rotating.url)).headers['x-aigw-backend']).toBe('whole');
  }, 30_000);

  it("saying the request's fault (a 400), is no failure of the backend's", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await ask(strictOnce.url, 'strict');
      expect(r.body.toString()).toContain('this grammar cannot be compiled');
    }
    expect(strictOnce.eventsOf('ejection')).toEqual([]);
  });
});
