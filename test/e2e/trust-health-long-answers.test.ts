/**
 * A non-streamed answer's head comes once the whole answer is written, so whether it comes by timeouts.firstByte is a
 * matter of the answer's length — which the client chooses (max_tokens 8,192 at 50 tokens/s outlasts the default
 * 120 s). Each attempt that ran out of time counted toward its backend's ejection, at every target the request failed
 * over to: three such requests from any client ejected every target of a model, and every other client's requests
 * went to the fallback model (or, with none, were routed in panic). Such a timeout says nothing of the backend's health.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
timeouts: { firstByte: 500ms }
resilience: { attempts: 3, consecutiveFailures: 3 }
backends:
  r1: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [llama], tokensPerSecond: 100 } }
  r2: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [llama], tokensPerSecond: 100 } }
  fb: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [llama], tokensPerSecond: 0 } }
models:
  chat: { targets: [{ backend: r1, model: llama }, { backend: r2, model: llama }], fallbacks: [spare] }
  spare: { targets: [{ backend: fb, model: llama }] }
`);

const ask = (o: { stream: boolean; max_tokens: number }) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...o });

describe('a non-streamed answer longer than timeouts.firstByte', () => {
  it("counts toward no backend's ejection: other clients are still served by the model's own targets", async () => {
    // 200 tokens at 100 a second: 2 s, four times the deadline, on either replica (the fallback answers at once).
    for (let i = 0; i < 3; i++) await ask({ stream: false, max_tokens: 200 });
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
    const served = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      const r = await ask({ stream: true, max_tokens: 1 });
      expect(r.status).toBe(200);
      served.add(r.headers['x-aigw-backend']);
    }
    expect(served).toEqual(new Set(['r1', 'r2']));
  }, 30_000);

  it('still counts a short answer that outlasts it: that backend is slow to answer at all', async () => {
    await fetch(`${gw.mocks.r1!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ ttft: 2000 }) });
    try {
      for (let i = 0; i < 8 && gw.eventsOf('ejection').length === 0; i++) await ask({ stream: false, max_tokens: 1 });
      expect(
        gw
          .eventsOf('ejection')
          .filter((e) => e.ejected)
          .map((e) => e.backend),
      ).toContain('r1');
    } finally {
      await fetch(`${gw.mocks.r1!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    }
  }, 30_000);
});
