/**
 * The headers a client sends go upstream with what the gateway adds (host, x-forwarded-for, x-request-id,
 * accept-encoding, content-length, a backend's own key and headers). A client header block just under Node's 16 KiB
 * limit, accepted here, became one over it at a backend with the same limit (any Node server; the profile's own
 * mocks): the backend cut the connection, the attempt and its quick retry counted as the backend's connection
 * failures, and two such requests from any client ejected every target of the model. And Node keeps the first 1,000
 * headers of a request and drops the rest without a word: a client's 1,000 small headers pushed the gateway's own
 * past them at such a backend — its key among them: 401, taken for refused credentials, failed over and counted
 * against every target's health.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  a: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  b: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  ant: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-upstream, mock: { kind: anthropic } }
models:
  m: { targets: [{ backend: a }, { backend: b }] }
  claude: { targets: [{ backend: ant }] }
tenants:
  t: { keys: [sk-t] }
`);
const { port } = new URL(gw.url);

/**
 * A request whose header block, as Node counts it (the target, each name and value), is `counted` bytes long.
 */
function withHeaders(counted: number): string {
  const body = '{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":3}';
  const fixed: [string, string][] = [
    ['host', 'x'],
    ['content-type', 'application/json'],
    ['content-length', String(body.length)],
    ['authorization', 'Bearer sk-t'],
  ];
  let n = '/v1/chat/completions'.length;
  for (const [k, v] of fixed) n += k.length + v.length;
  const pad: [string, string][] = [];
  for (let i = 0; n < counted; i++) {
    const name = `x-pad-${String(i).padStart(4, '0')}`;
    const value = 'a'.repeat(Math.min(100, Math.max(1, counted - n - name.length)));
    pad.push([name, value]);
    n += name.length + value.length;
  }
  const head = [...fixed, ...pad].map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST /v1/chat/completions HTTP/1.1\r\n${head}\r\n${body}`;
}

function send(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(Number(port), '127.0.0.1', () => s.write(bytes));
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*\}/.test(text)) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(text));
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

describe('a client header block near the limit', () => {
  it('is refused here with 431, never sent to a backend, and ejects nothing', async () => {
    const before = (await gw.mockStats('a')).requests['/v1/chat/completions'] ?? 0;
    for (let i = 0; i < 3; i++) {
      const r = await send(withHeaders(16_384 - 40));
      expect(r).toMatch(/^HTTP\/1\.1 431 /);
    }
    expect(gw.eventsOf('upstream_error')).toEqual([]);
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
    expect((await gw.mockStats('a')).requests['/v1/chat/completions'] ?? 0).toBe(before);
  });

  it('is served when it leaves room for what the gateway adds', async () => {
    const r = await send(withHeaders(12 * 1024));
    expect(r).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("of many small headers is refused here with 431, not cut short at a backend that drops the gateway's key", async () => {
    const body = '{"model":"claude","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}';
    const head = (n: number) => {
      let h = `POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-api-key: sk-t\r\ncontent-length: ${body.length}\r\n`;
      for (let i = 0; i < n; i++) h += `x-p${i}: 1\r\n`;
      return `${h}\r\n${body}`;
    };
    // 995: the backend missed anthropic-version (a 400 saying the gateway sent none); 1,000: its key too (401).
    for (const n of [995, 1000, 1000, 1000]) expect(await send(head(n))).toMatch(/^HTTP\/1\.1 431 /);
    expect(gw.eventsOf('upstream_error')).toEqual([]);
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
    expect(await send(head(100))).toMatch(/^HTTP\/1\.1 200 /);
  });
});
