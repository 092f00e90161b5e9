/**
 * A request whose body was still arriving when a reload swapped the runtime was admitted under the profile it began
 * with: its key, its tenant's limits and its routes were the ones the reload had replaced. A leaked key the operator
 * rotated out, or a tenant whose limits a reload cut (a runaway spend), went on being served for every request whose
 * head had reached the gateway before the reload — each held open as long as timeouts.request allows (unbounded at
 * 0s) and finished at leisure. Requests admitted before the reload still finish on their profile; one admitted after
 * it is admitted under the profile now served (attacker review).
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, profileFor } from '../helpers/gateway.js';

const profile = (key: string, limits: string) => `
version: 1
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
tenants:
  t: { keys: [${key}], limits: ${limits} }
`;

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 50 });

/** Sends a request's head and all of its body but the last byte; `finish` sends that byte; `answer` its status line. */
function startRequest(port: number, key: string) {
  const got = { text: '', closed: false };
  const s: Socket = connect(port, '127.0.0.1', () =>
    s.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY.slice(0, -1)}`,
    ),
  );
  s.on('error', () => {});
  s.on('data', (d) => (got.text += d));
  s.on('close', () => (got.closed = true));
  return {
    socket: s,
    finish: () => s.write(BODY.slice(-1)),
    answer: async () => {
      await eventually(() => /^HTTP\/1\.1 \d{3} /.test(got.text), 5000);
      return got.text.split('\r\n')[0];
    },
  };
}

describe('a request whose body arrives after a reload', () => {
  it('is refused when the reload removed its key', async () => {
    const g = await gatewayFor(profile('k-old', '{ rpm: 1000 }'));
    const port = Number(new URL(g.url).port);
    const r = startRequest(port, 'k-old');
    try {
      // The head is in, the request authenticated and reading its body.
      await eventually(() => g.gateway.state.live.size === 1);
      const reloaded = await g.stack.reload(profileFor(profile('k-new', '{ rpm: 1000 }')));
      expect(reloaded.ok).toBe(true);
      r.finish();
      expect(await r.answer()).toBe('HTTP/1.1 401 Unauthorized');
    } finally {
      r.socket.destroy();
      await g.close();
    }
  });

  it("is held to the tenant's limits the reload set", async () => {
    const g = await gatewayFor(profile('k', '{ rpm: 1000 }'));
    const port = Number(new URL(g.url).port);
    const r = startRequest(port, 'k');
    try {
      await eventually(() => g.gateway.state.live.size === 1);
      // Cut to nothing: no request of this tenant may start now.
      const reloaded = await g.stack.reload(profileFor(profile('k', '{ rpm: 0 }')));
      expect(reloaded.ok).toBe(true);
      r.finish();
      expect(await r.answer()).toBe('HTTP/1.1 429 Too Many Requests');
    } finally {
      r.socket.destroy();
      await g.close();
    }
  });

  it('goes to the backend URL the reload set, and the old pool closes once no request holds it', async () => {
    const up = await gatewayFor(`
version: 1
backends:
  one: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  two: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: one }, { backend: two }] }
`);
    const at = (url: string) => `
version: 1
backends:
  b: { url: ${url} }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k] }
`;
    const g = await gatewayFor(at(up.mocks.one!.url));
    const port = Number(new URL(g.url).port);
    const oldPool = g.gateway.state.runtime.backends.get('b')!.pool;
    const holds = g.gateway.state.runtime.holds;
    const r = startRequest(port, 'k');
    try {
      await eventually(() => g.gateway.state.live.size === 1);
      const reloaded = await g.stack.reload(profileFor(at(up.mocks.two!.url)));
      expect(reloaded.ok).toBe(true);
      r.finish();
      expect(await r.answer()).toBe('HTTP/1.1 200 OK');
      expect((await up.mockStats('one')).completed).toBe(0);
      expect((await up.mockStats('two')).completed).toBe(1);
      // Once the request is over nothing holds the old runtime: its pool is let go (closed).
      await eventually(() => holds.holders(oldPool) === 0);
    } finally {
      r.socket.destroy();
      await g.close();
      await up.close();
    }
  });
});
