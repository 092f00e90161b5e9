/**
 * A request whose body was still arriving when a reload lowered `limits.maxRequestBytes` is held to the limit the
 * reload set, as its key and its tenant's limits are (trust-reload-body-arriving.test.ts): read under the old limit,
 * a body over the new one was admitted and sent upstream whole (200), though the operator had cut the size for every
 * request admitted from then on (attacker review).
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, profileFor } from '../helpers/gateway.js';

const profile = (maxRequestBytes: string) => `
version: 1
limits: { maxRequestBytes: ${maxRequestBytes} }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
tenants:
  t: { keys: [k] }
`;

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(2000) }], max_tokens: 5 });

/** Sends a request's head and all of its body but the last byte; `finish` sends that byte; `answer` its status line. */
function startRequest(port: number) {
  let text = '';
  const s: Socket = connect(port, '127.0.0.1', () =>
    s.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nauthorization: Bearer k\r\ncontent-type: application/json\r\n' +
        `content-length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY.slice(0, -1)}`,
    ),
  );
  s.on('error', () => {});
  s.on('data', (d) => (text += d));
  return {
    socket: s,
    finish: () => s.write(BODY.slice(-1)),
    answer: async () => {
      await eventually(() => /^HTTP\/1\.1 \d{3} [^\r]*\r\n[\s\S]*\r\n\r\n/.test(text), 5000);
      return text;
    },
  };
}

describe('a request whose body arrives after a reload lowered maxRequestBytes', () => {
  it('is refused 413 under the new limit, and nothing goes upstream', async () => {
    const g = await gatewayFor(profile('64Ki'));
    const r = startRequest(Number(new URL(g.url).port));
    try {
      await eventually(() => g.gateway.state.live.size === 1);
      expect((await g.stack.reload(profileFor(profile('1Ki')))).ok).toBe(true);
      r.finish();
      const answer = await r.answer();
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
      expect((await g.mockStats('vllm')).completed).toBe(0);
    } finally {
      r.socket.destroy();
      await g.close();
    }
  });
});
