/**
 * Fallbacks on real sockets: a fallback model the tenant may not use is not tried (an allow-list of `m1` got
 * answers from `m2` through m1's fallback, past m2's modelLimits too); a retry into a fallback goes to the
 * target the attempt loop found available (it went to the ejected one, and the request ended 502).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { freePort } from '../helpers/ports.js';
import { useUpstream } from '../helpers/upstream.js';

const OK =
  '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
const down = await useUpstream((_req, res) =>
  res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"overloaded"}}'),
);
const up = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK));

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 1000 }
backends:
  down: { url: "{{down}}" }
  up: { url: "{{up}}" }
models:
  m1: { targets: [{ backend: down }], fallbacks: [m2] }
  m2: { targets: [{ backend: up }] }
tenants:
  narrow: { keys: ["sk-narrow-key-1234"], models: [m1], modelLimits: { m2: { rpm: 1 } } }
  wide: { keys: ["sk-wide-key-12345"] }
`,
  { down: down.url, up: up.url },
);

const ask = (key: string, model: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
    { headers: { authorization: `Bearer ${key}` } },
  );

describe('a fallback outside the tenant allow-list', () => {
  it('is not tried: the tenant gets its own model failure, never the other model answer', async () => {
    expect((await ask('sk-narrow-key-1234', 'm2')).status).toBe(403);
    for (let i = 0; i < 3; i++) {
      const r = await ask('sk-narrow-key-1234', 'm1');
      expect(r.status).toBeGreaterThanOrEqual(500);
      expect(r.headers['x-aigw-backend']).not.toBe('up');
    }
    expect(up.seen).toHaveLength(0);
  });

  it('is tried for a tenant whose allow-list names it, or that has none', async () => {
    const r = await ask('sk-wide-key-12345', 'm1');
    expect(r.status).toBe(200);
    expect(r.headers['x-aigw-backend']).toBe('up');
  });
});

describe('a retry into a fallback that shares a failed backend', () => {
  it('goes to the fallback target that is up, not again to the one just ejected', async () => {
    const dead = await freePort();
    const ok = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK));
    const g = await useGateway(
      `
version: 1
resilience: { consecutiveFailures: 1, cooldown: 30s }
backends:
  x: { url: "http://127.0.0.1:${dead}" }
  y: { url: "{{y}}" }
models:
  m1: { targets: [{ backend: x }], fallbacks: [m2] }
  m2: { targets: [{ backend: x, weight: 1 }, { backend: y, weight: 1 }] }
`,
      { y: ok.url },
    );
    const r = await rawPost(`${g.url}/v1/chat/completions`, { model: 'm1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
    expect(r.status).toBe(200);
    expect(r.headers['x-aigw-backend']).toBe('y');
  });
});
