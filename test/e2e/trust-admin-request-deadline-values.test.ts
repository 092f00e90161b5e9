/**
 * node:http takes its deadlines in whole milliseconds: createServer throws at a requestTimeout, headersTimeout or
 * connectionsCheckingInterval that is not an integer. A duration is any decimal of a unit, and the listeners were built
 * from `timeouts.request` as it read: at `999ms` the gateway's checking interval (half of it) was 499.5, at
 * `30000.5ms` the admin listener's deadline was a fraction — the profile validated, and `aigw serve` exited 1 ("cannot
 * listen on 127.0.0.1:8080: The value of "connectionsCheckingInterval" is out of range", or an unexpected failure as it
 * built the admin listener) (profile review).
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';

const profile = (request: string) => `
version: 1
timeouts: { request: ${request} }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`;

describe('the listeners built from a request deadline of any decimal', () => {
  it.each([
    ['999ms', 999],
    ['30000.5ms', 30_001],
  ])('timeouts.request: %s starts, the admin deadline rounded up to whole milliseconds', async (request, whole) => {
    const g = await gatewayFor(profile(request));
    try {
      expect(g.admin.server.requestTimeout).toBe(whole);
      expect((await fetch(`${g.url}/v1/models`)).status).toBe(200);
      expect((await fetch(`${g.adminUrl}/aigw/stats`)).status).toBe(200);
    } finally {
      await g.close();
    }
  });
});
