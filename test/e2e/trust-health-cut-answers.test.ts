/**
 * A backend's health was read at an answer's head: a backend that sent a stream's first event and then broke its
 * connection — every time — was counted a success at each head, its failure streak reset by every request it cut,
 * and it was never ejected: half of a model's streams kept ending in `upstream_stream_error`. An answer is judged
 * at its end now: cut by the backend (a reset, or silence past timeouts.idle, once the answer began), a failure.
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
  choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }],
});

/** Answers every stream with its first event, then resets the connection. */
const cutter = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`data: ${CHUNK}\n\n`);
  setTimeout(() => res.socket?.resetAndDestroy(), 20);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 2, cooldown: 60s }
backends:
  cutter: { url: "{{cutter}}" }
  whole: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [llama] } }
models:
  chat: { targets: [{ backend: cutter, model: llama }, { backend: whole, model: llama }] }
`,
  { cutter: cutter.url },
);

const ask = () =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });

describe('a backend that cuts its answers once they began', () => {
  it('is ejected like one that fails before them, and the model is served whole by the other', async () => {
    let cut = 0;
    // Half the streams go to it, at random: 2 cut streams in 30 tries, but for a chance of ~3e-8.
    for (let i = 0; i < 30 && cut < 2; i++) {
      const r = await ask();
      expect(r.status).toBe(200);
      if (r.headers['x-aigw-backend'] === 'cutter') {
        cut++;
        expect(r.body.toString()).toContain('upstream_stream_error');
      }
    }
    expect(cut).toBe(2);
    expect(
      gw
        .eventsOf('ejection')
        .filter((e) => e.ejected)
        .map((e) => e.backend),
    ).toEqual(['cutter']);
    for (let i = 0; i < 6; i++) {
      const r = await ask();
      expect(r.headers['x-aigw-backend']).toBe('whole');
      expect(r.body.toString()).toContain('data: [DONE]');
    }
  }, 30_000);
});
