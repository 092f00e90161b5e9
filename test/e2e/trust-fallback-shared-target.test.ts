/**
 * A fallback model that shares a target with the model it backs (an alias of one replica falling back to the model
 * it names, the same backend and upstream model): the request goes to that target once. Planned again in the
 * fallback's turn, half the requests went twice to the target that had just failed them — a 500 sent again to the
 * handler it crashes, a hung replica waited for twice.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const OK =
  '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
const good = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK));

const profile = (timeouts: string) => `
version: 1
${timeouts}
resilience: { consecutiveFailures: 1000 }
backends:
  a: { url: "{{a}}" }
  b: { url: "{{b}}" }
models:
  chat: { targets: [{ backend: a, model: llama }], fallbacks: [llama] }
  llama: { targets: [{ backend: a }, { backend: b }] }
`;

const ask = (url: string) =>
  rawPost(`${url}/v1/chat/completions`, { model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

describe("a fallback's target the request already tried", () => {
  it('a 500 is not sent again to the same target: each request reaches it once, the other replica answers', async () => {
    const failing = await useUpstream((_req, res) =>
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}'),
    );
    const gw = await useGateway(profile(''), { a: failing.url, b: good.url });
    const before = good.seen.length;
    for (let i = 0; i < 4; i++) {
      const r = await ask(gw.url);
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('b');
    }
    // Before: 6 (the fallback's rotation picked `a` for every other request).
    expect(failing.seen).toHaveLength(4);
    expect(good.seen.length - before).toBe(4);
  });

  it('a hung replica is waited for once, not once more in the fallback', async () => {
    const hung = await useUpstream(() => {});
    const gw = await useGateway(profile('timeouts: { firstByte: 200ms }'), { a: hung.url, b: good.url });
    for (let i = 0; i < 2; i++) {
      const r = await ask(gw.url);
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('b');
    }
    // Before: 3 (the first request timed out on `a` twice, 400 ms, before `b` answered).
    expect(hung.seen).toHaveLength(2);
  });
});
