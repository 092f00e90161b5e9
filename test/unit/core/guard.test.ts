/** The last-resort guard: a throw in a listener (sync or async) answers 500 and the server keeps serving. */
import { createServer } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { guarded } from '../../../src/core/guard.js';

const server = createServer(
  guarded(
    (req, res) => {
      if (req.url === '/sync') throw new Error('boom');
      if (req.url === '/async') return Promise.reject(new Error('later'));
      if (req.url === '/after-head') {
        res.writeHead(200).write('partial');
        throw new Error('mid-body');
      }
      res.end('ok');
    },
    (res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal_error"}}'),
  ),
);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
afterAll(() => server.close());

describe('guarded listeners', () => {
  it.each(['/sync', '/async'])('answers 500 internal_error for a throw on %s, and the server keeps serving', async (path) => {
    const r = await fetch(`${base}${path}`);
    expect(r.status).toBe(500);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('internal_error');
    expect(await (await fetch(`${base}/fine`)).text()).toBe('ok');
  });

  it('cuts a response whose head already left (never a clean end for a broken body)', async () => {
    await expect(fetch(`${base}/after-head`).then((r) => r.text())).rejects.toThrow();
    expect(await (await fetch(`${base}/fine`)).text()).toBe('ok');
  });
});
