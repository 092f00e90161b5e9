/**
 * Overload answers (429, 503) go round the plan again, waiting for a backend's retry-after before that backend is tried
 * again. Only the last failure's retry-after was read: with two targets that both answered 429 and `retry-after: 1`,
 * the plan came round to the first one at once (a third 429, sent a millisecond after it asked for a second), and one
 * that asked for an hour was tried again just the same.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

/** A backend that answers every request 429 with `retryAfter`, noting when each came. */
const busy = async (retryAfter: string) => {
  const at: number[] = [];
  const up = await useUpstream((_req, res) => {
    at.push(performance.now());
    const body = JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } });
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter }).end(body);
  });
  return { url: up.url, at };
};

const [a, b, hour, never] = [await busy('1'), await busy('1'), await busy('3600'), await busy('9'.repeat(400))];
const gw = await useGateway(
  `
version: 1
resilience: { attempts: 3, retryAfterCap: 1500ms }
backends:
  a: { url: "{{a}}" }
  b: { url: "{{b}}" }
  hour: { url: "{{hour}}" }
  never: { url: "{{never}}" }
models:
  both: { targets: [{ backend: a }, { backend: b }] }
  mixed: { targets: [{ backend: hour }, { backend: b }] }
  never: { targets: [{ backend: never }] }
`,
  { a: a.url, b: b.url, hour: hour.url, never: never.url },
);

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

describe("a backend's retry-after when the plan comes round to it", () => {
  it('is waited for after another target failed in between', async () => {
    const r = await ask('both');
    expect(r.status).toBe(502);
    // No target left: the client is told when to come back, as the backends said (the SDKs retry a 502 and honour it).
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers['retry-after-ms']).toBe('1000');
    // a, b, then a again (or b, a, b): the one tried twice waited its second.
    const twice = a.at.length === 2 ? a.at : b.at;
    expect(twice).toHaveLength(2);
    expect(twice[1]! - twice[0]!).toBeGreaterThanOrEqual(900);
  }, 20_000);

  it('past the cap, the backend is not tried again: the plan goes on without it', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await ask('mixed');
      expect(r.status).toBe(502);
      // The last answer was b's: its second is what the client is told, not hour's hour.
      expect(r.headers['retry-after']).toBe('1');
    }
    // Once a request: before, a request that began at hour came back to it after b (hour, b, hour).
    expect(hour.at).toHaveLength(2);
  }, 20_000);

  it('a retry-after no client should keep (400 digits: past a day) is not told: the 502 comes without one', async () => {
    const r = await ask('never');
    expect(r.status).toBe(502);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(r.headers['retry-after-ms']).toBeUndefined();
    expect(never.at).toHaveLength(1);
  }, 20_000);
});
