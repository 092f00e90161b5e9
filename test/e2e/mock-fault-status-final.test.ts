/**
 * `status:N` injects an error answer with that status. A 1xx is no answer: Node writes it as an informational head
 * (with no body) and the request is over for the mock. node:http's client and the gateway's pool take it as
 * informational and wait for the final head, which never comes — `x-mock-fault: status:100` (or a profile's
 * `kinds: [status:102]`) was a hang until the client's header timeout or the idle connection's 65 s close; undici
 * (fetch) fails it as a bad response. Refused now as any bad control is, with a 400 naming it.
 */
import { describe, expect, it } from 'vitest';
import { MockSchema } from '../../src/profile/schema.js';
import { chat, postJson, useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'final', kind: 'vllm' });
const url = `${mock.url}/v1/chat/completions`;

describe('a status fault is a final status', () => {
  it.each([
    ['x-mock-fault header', (s: string) => postJson(url, chat('x'), { 'x-mock-fault': s })],
    ['directive', (s: string) => postJson(url, chat(`x [[mock fault=${s}]]`))],
  ])('a 1xx by %s is a 400 at once, not a hang', async (_, send) => {
    for (const status of ['status:100', 'status:102', 'status:103', 'status:199']) {
      const t0 = performance.now();
      const r = await Promise.race([send(status), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000))]);
      expect(r, status).not.toBe('hung');
      const res = r as Response;
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/status:N needs a final HTTP status/);
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });

  it('other statuses are answered as before', async () => {
    for (const status of [200, 418, 503, 599]) {
      const r = await postJson(url, chat('x'), { 'x-mock-fault': `status:${status}` });
      expect(r.status).toBe(status);
      await r.arrayBuffer();
    }
  });

  it("a profile's fault kinds take no 1xx either", () => {
    expect(MockSchema.safeParse({ kind: 'vllm', faults: { rate: 1, kinds: ['status:102'] } }).success).toBe(false);
    expect(MockSchema.safeParse({ kind: 'vllm', faults: { rate: 1, kinds: ['status:503'] } }).success).toBe(true);
  });
});
