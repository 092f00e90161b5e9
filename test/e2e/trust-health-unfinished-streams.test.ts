/**
 * A stream the backend ends cleanly before its end marker is cut as one it resets (the client gets
 * upstream_stream_error either way, as reliability case 12 asks for FIN and RST alike) — but only the reset was the
 * backend's failure. A backend that sent each stream's first event at once and then closed it was counted a success
 * every time: never ejected, and under strategy latency its quick first event made it the fastest replica, so it took
 * nearly every request (28 of 30 here) while a healthy replica stood by.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (content: string) =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'llama',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });

/** Every stream: its first event at once, then a clean end — no [DONE]. */
const quitter = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(`data: ${chunk('Hel')}\n\n`);
});

/** Every stream whole, its first event 30 ms in. */
const whole = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  setTimeout(() => res.end(`data: ${chunk('Hello')}\n\ndata: [DONE]\n\n`), 30);
});

/** The quitter and the whole one, routed by `strategy` (the default rotation: half the streams go to the quitter). */
const twoOf = (strategy: string) =>
  useGateway(
    `
version: 1
resilience: { consecutiveFailures: 2, cooldown: 60s }
backends:
  quitter: { url: "{{quitter}}" }
  whole: { url: "{{whole}}" }
models:
  chat: { strategy: ${strategy}, targets: [{ backend: quitter, model: llama }, { backend: whole, model: llama }] }
`,
    { quitter: quitter.url, whole: whole.url },
  );
const gw = await twoOf('latency');
const rotating = await twoOf('weighted');

const ask = (url = gw.url) =>
  rawPost(`${url}/v1/chat/completions`, { model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });

describe('a backend that ends its streams before their end marker', () => {
  it('does not win the traffic of strategy latency with its quick first events', async () => {
    let cut = 0;
    let served = 0;
    for (let i = 0; i < 30; i++) {
      const r = await ask();
      expect(r.status).toBe(200);
      if (r.headers['x-aigw-backend'] === 'quitter') {
        cut++;
        expect(r.body.toString()).toContain('upstream_stream_error');
        expect(r.body.toString()).not.toContain('[DONE]');
      } else {
        served++;
        expect(r.body.toString()).toContain('data: [DONE]');
      }
    }
    // At most the two cut streams that eject it.
    expect(cut).toBeLessThanOrEqual(2);
    expect(served).toBeGreaterThanOrEqual(28);
  }, 30_000);

  it('is ejected after consecutiveFailures such streams, and the model is served whole by the other', async () => {
    let cut = 0;
    for (let i = 0; i < 30 && cut < 2; i++) {
      const r = await ask(rotating.url);
      if (r.headers['x-aigw-backend'] === 'quitter') cut++;
    }
    expect(cut).toBe(2);
    expect(
      rotating
        .eventsOf('ejection')
        .filter((e) => e.ejected)
        .map((e) => e.backend),
    ).toEqual(['quitter']);
    for (let i = 0; i < 6; i++) {
      const r = await ask(rotating.url);
      expect(r.headers['x-aigw-backend']).toBe('whole');
      expect(r.body.toString()).toContain('data: [DONE]');
    }
  }, 30_000);
});
