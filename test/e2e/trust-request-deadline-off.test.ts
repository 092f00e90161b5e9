/**
 * `timeouts.request: 0s` is no request deadline — a long upload may take its time — but it also took the deadline off
 * a request's head: a client trickling header bytes held its connection until the connection cap, never 408. The head
 * keeps Node's own 60 s then (rev-front review); the body's deadline stays off.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
timeouts: { request: 0s }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);

describe('timeouts.request: 0s', () => {
  it("leaves the whole request without a deadline, but not its head: Node's 60 s", () => {
    const server = gw.gateway.server;
    expect(server.requestTimeout).toBe(0);
    expect(server.headersTimeout).toBe(60_000);
  });
});
