/**
 * Trust class 1: no throw escapes a request. A real `aigw serve --mocks` process takes hostile URLs on the
 * gateway, admin and mock listeners while 20 streams are live: every stream still ends with [DONE], every
 * hostile request gets an answer in its API's shape, and the process is still there.
 */
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { rawPost } from '../helpers/raw.js';

const profile = `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`;

/** Sends a raw request line (as a hostile client would, unescaped) and returns the status line and body. */
function rawGet(url: string, target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () =>
      s.end(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('end', () => resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    s.on('error', reject);
  });
}

describe('no throw escapes a request', () => {
  it('answers malformed percent-escapes and odd URLs on every listener while 20 streams finish with [DONE]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-trust-'));
    writeFileSync(join(dir, 'p.yaml'), profile);
    const run = await startAigw(['serve', '-c', join(dir, 'p.yaml'), '--mocks', '--log', 'off'], 3);
    const { gateway, admin, v: mock } = run.urls as Record<string, string>;
    const streams = Array.from({ length: 20 }, (_, i) =>
      rawPost(
        `${gateway}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: `s${i}` }], max_tokens: 40, stream: true },
        {
          headers: { 'x-mock-tps': '40' },
        },
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const hostile = [
      '/v1/models/%ZZ',
      '/v1/models/%',
      '/v1/models/%E0%A4%A',
      `/v1/models/${'%C0%80'.repeat(50)}`,
      '/%ZZ',
      `/${'x'.repeat(8000)}`,
    ];
    for (const target of hostile) {
      const r = await rawGet(gateway!, target);
      expect(r.status, target).toBeGreaterThanOrEqual(400);
      expect(r.status, target).toBeLessThan(500);
      expect(JSON.parse(r.body).error.code).toMatch(/^(invalid_request|not_found|model_not_found)$/);
    }
    const malformed = await rawGet(gateway!, '/v1/models/%ZZ');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
    for (const target of ['/aigw/stats?lastEventId=%ZZ', '/%ZZ', '/aigw/stats?%%%']) {
      expect([200, 404], target).toContain((await rawGet(admin!, target)).status);
    }
    for (const target of ['/v1/models?%ZZ', '/%ZZ', '/mock/stats?%'])
      expect((await rawGet(mock!, target)).status, target).toBeLessThan(500);
    const done = await Promise.all(streams);
    for (const s of done) {
      expect(s.status).toBe(200);
      expect(s.events.at(-1)?.data).toBe('[DONE]');
    }
    expect(run.child.exitCode).toBeNull();
    expect(await run.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
