/**
 * Strategy `latency` reads a replica's time to first token. A non-streamed answer's head comes once the whole answer
 * is written, so its time is the replica's TTFT plus the answer's length — which the client chooses. Read as a TTFT,
 * one client's non-streamed request for 400 tokens (2 s at 200 tokens/s) set its healthy replica's estimate to 2 s at
 * once (peak EWMA) and sent every other request to the peer for ~30 s; a client repeating it every half minute keeps
 * the traffic wherever it likes, a slower replica included. Such a head may lower an estimate, never raise it.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const replica = 'mock: { kind: vllm, models: [llama], ttft: 20ms, tokensPerSecond: 200 }';
const gw = await useGateway(`
version: 1
backends:
  r1: { url: http://127.0.0.1:0, ${replica} }
  r2: { url: http://127.0.0.1:0, ${replica} }
models:
  chat:
    strategy: latency
    targets: [{ backend: r1, model: llama }, { backend: r2, model: llama }]
`);

const ask = async (o: { stream: boolean; max_tokens: number }) => {
  const r = await rawPost(`${gw.url}/v1/chat/completions`, { model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...o });
  expect(r.status).toBe(200);
  return String(r.headers['x-aigw-backend']);
};

describe('latency under a client that asks for long non-streamed answers', () => {
  it("does not read a long answer's generation as its replica's time to first token", async () => {
    for (let i = 0; i < 6; i++) await ask({ stream: true, max_tokens: 1 });
    const long = await ask({ stream: false, max_tokens: 400 });
    const after: string[] = [];
    const until = performance.now() + 4000;
    while (performance.now() < until) after.push(await ask({ stream: true, max_tokens: 1 }));
    // Before: its estimate was the 2 s the answer took, ~0.9 s still after 4 s, against its peer's ~20 ms: none.
    expect(after.filter((b) => b === long).length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('still reads a short non-streamed answer as one (a probe of max_tokens 1)', async () => {
    await fetch(`${gw.mocks.r2!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ slowdown: 20 }) });
    try {
      for (let i = 0; i < 6; i++) await ask({ stream: false, max_tokens: 1 });
      const after: string[] = [];
      for (let i = 0; i < 10; i++) after.push(await ask({ stream: false, max_tokens: 1 }));
      expect(after.filter((b) => b === 'r2').length).toBeLessThanOrEqual(2);
    } finally {
      await fetch(`${gw.mocks.r2!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    }
  }, 30_000);
});
