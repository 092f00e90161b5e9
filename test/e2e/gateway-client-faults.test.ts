/** What clients do wrong (reliability.md C), on raw sockets. */
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_PIPELINED } from '../../src/gateway/handle.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { chatOnce, inParallel } from '../helpers/load.js';

const gw = await useGateway(`
version: 1
limits: { maxRequestBytes: 1Mi, maxInflight: 20 }
timeouts: { request: 600ms }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);
const { port } = new URL(gw.url);

/** Opens a raw connection, writes `bytes`, and collects what comes back until the server closes. */
function raw(bytes: string | Buffer, opts: { keepOpenMs?: number } = {}): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s: Socket = connect(Number(port), '127.0.0.1', () => s.write(bytes));
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve({ text, closedAfterMs: Date.now() - t0 }));
    if (opts.keepOpenMs) setTimeout(() => s.destroy(), opts.keepOpenMs);
  });
}

const chatCount = async () => (await gw.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0;

describe('slow and oversized clients', () => {
  it('cuts a slowloris at the headers timeout with 408, while normal traffic flows (case 24)', async () => {
    const sockets = Array.from({ length: 50 }, () => {
      const s = connect(Number(port), '127.0.0.1', () => s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'));
      s.on('error', () => {});
      return s;
    });
    const closed = Promise.all(
      sockets.map(
        (s) =>
          new Promise<string>((r) => {
            let t = '';
            s.on('data', (d) => (t += d));
            s.on('close', () => r(t));
          }),
      ),
    );
    const normal = await inParallel(50, 10, () => chatOnce(gw.url, 'm'));
    expect(normal.every((r) => r.status === 200)).toBe(true);
    const answers = await closed;
    expect(answers.every((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
  });

  it('answers a body trickling in at 1 byte/s with 408 at the request timeout, without an upstream call (case 25)', async () => {
    const before = await chatCount();
    const r = await new Promise<{ status: number; body: string }>((resolve) => {
      const req = request(
        `${gw.url}/v1/chat/completions`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', () => {});
      req.write('{');
      const t = setInterval(() => req.write(' '), 1000);
      req.on('close', () => clearInterval(t));
      setTimeout(() => clearInterval(t), 3000);
    });
    expect(r.status).toBe(408);
    expect(JSON.parse(r.body).error.code).toBe('request_timeout');
    expect(await chatCount()).toBe(before);
  });

  it("answers what Node refuses on /v1/messages in Anthropic's error shape: a 408 for a slow body, a 431, a 400", async () => {
    const anthropic = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    // The body never completes (a new connection each: the answer closes it).
    const slow = await raw('POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{');
    expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(anthropic(slow.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const big = await raw(`POST /v1/messages HTTP/1.1\r\nHost: x\r\n${'x-a: b\r\n'.repeat(9000)}\r\n`);
    expect(big.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(anthropic(big.text)).toMatchObject({ type: 'error', error: { message: expect.stringContaining('headers') } });
    const bad = await raw('POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n');
    expect(bad.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(anthropic(bad.text)).toMatchObject({ type: 'error' });
    // The same on an OpenAI path: OpenAI's shape — also right after an Anthropic request on the same connection.
    const body = '{"model":"m","max_tokens":1,"messages":[]}';
    const first = `POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    const both = await new Promise<string>((resolve) => {
      const s: Socket = connect(Number(port), '127.0.0.1', () => s.write(first));
      let text = '';
      s.on('data', (d) => {
        // The first answer is in: the next request on the kept-alive connection.
        if (text === '') s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${'x-a: b\r\n'.repeat(9000)}\r\n`);
        text += d;
      });
      s.on('error', () => {});
      s.on('close', () => resolve(text));
    });
    const second = both.slice(both.indexOf('HTTP/1.1 431'));
    expect(second).toMatch(/^HTTP\/1\.1 431 /);
    expect(anthropic(second)).toMatchObject({ error: { code: 'request_too_large' } });
  });

  it('refuses a 50 MB body with Content-Length before reading it, and chunked as soon as it crosses the limit (case 26)', async () => {
    const before = await chatCount();
    const withLength = await raw(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 52428800\r\n\r\n{"model":"m",',
    );
    expect(withLength.text).toMatch(/^HTTP\/1.1 413/);
    expect(withLength.text).toContain('"code":"request_too_large"');

    const chunked = await new Promise<number>((resolve) => {
      const req = request(
        `${gw.url}/v1/chat/completions`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', () => {});
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 50 * 1024 * 1024 && !req.destroyed) {
          sent += piece.length;
          if (!req.write(piece)) return req.once('drain', pump);
        }
      };
      req.write('{"model":"m","x":"');
      pump();
    });
    expect(chunked).toBe(413);
    expect(await chatCount()).toBe(before);
  });

  it('refuses a compressed body with 415 before reading it, and a client leaving mid-upload costs nothing upstream', async () => {
    const before = await chatCount();
    const gz = await raw(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n' +
        'content-length: 4\r\nconnection: close\r\n\r\n\x1f\x8b\x08\x00',
    );
    expect(gz.text).toMatch(/^HTTP\/1.1 415/);
    expect(gz.text).toContain('"code":"unsupported_media_type"');
    // Compressed as a transfer coding (`gzip, chunked`): node:http undoes the chunking alone, and the gzip bytes were
    // read as the JSON body — 400 invalid_json quoting them; a plain body so labelled was served as plain.
    for (const body of ['\x1f\x8b\x08\x00', '{"model":"m","messages":[{"role":"user","content":"hi"}]}']) {
      const te = await raw(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ntransfer-encoding: gzip, chunked\r\n' +
          `connection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      );
      expect(te.text).toMatch(/^HTTP\/1.1 415/);
      expect(te.text).toContain('"code":"unsupported_media_type"');
    }

    // Half of a declared body, then gone: the body stage ends without a body, nothing is routed or answered.
    const half = '{"model":"m","messages":[{"role":"user","content":"hi"}]';
    const left = await raw(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${2 * half.length}\r\n\r\n${half}`,
      { keepOpenMs: 100 },
    );
    expect(left.text).toBe('');
    expect(await chatCount()).toBe(before);
    expect((await chatOnce(gw.url, 'm')).status).toBe(200);
  });

  it('refuses 100k-deep nesting in an ignored field with 400 from the depth check, and stays up (case 27)', async () => {
    const body = `{"model":"m","messages":[{"role":"user","content":"x"}],"ignored":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain('nests deeper');
    expect((await chatOnce(gw.url, 'm')).status).toBe(200);
  });

  it.each([
    [
      'CL and TE together',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['duplicate CL', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!'],
    ['obs-fold', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-a: 1\r\n  folded\r\ncontent-length: 0\r\n\r\n'],
    ['bare LF in a header', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\nx-a: 1\r\ncontent-length: 0\r\n\r\n'],
  ])('answers request smuggling input (%s) with 400 and closes (case 31)', async (_name, bytes) => {
    const r = await raw(bytes);
    expect(r.text).toMatch(/^HTTP\/1.1 400/);
  });
});

describe('global in-flight cap (case 41)', () => {
  it('answers 503 overloaded at once with retry-after, while health answers', async () => {
    const hold = new AbortController();
    const slow = Array.from({ length: 20 }, () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        signal: hold.signal,
        headers: { 'content-type': 'application/json', 'x-mock-ttft': '20s' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }),
      }),
    );
    // Wait until the slow ones are really in flight (not a fixed delay a loaded machine can outrun).
    await eventually(() => gw.gateway.state.live.size >= 20);
    const t0 = performance.now();
    const over = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }),
    });
    const ms = performance.now() - t0;
    expect(over.status).toBe(503);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('overloaded');
    expect(over.headers.get('retry-after')).toBe('1');
    // At once (milliseconds), not after the requests in flight (20 s each): orders of magnitude apart.
    expect(ms).toBeLessThan(2000);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    hold.abort();
    await Promise.allSettled(slow);
  });
});

describe('pipelined requests (HTTP/1.1 pipelining)', () => {
  const chat = (extra = '') =>
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n${extra}content-length: ${BODY.length}\r\n\r\n${BODY}`;
  const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 400, stream: true });

  it('does nothing for the requests read after a connection was closed for pipelining: one request event, not one each', async () => {
    // One write of 300: node:http parses every request of the read it is in, each after the connection went.
    const r = await raw(Array.from({ length: 300 }, (_, i) => chat(`x-request-id: piped-${i}\r\n`)).join(''));
    await eventually(() => gw.gateway.state.live.size === 0);
    const events = gw.events.filter((e) => e.type === 'request' && e.requestId.startsWith('piped-')).length;
    // The ones given their turn or counted toward the cap, and the one that closed it — not 300 (299 measured).
    expect(events).toBeLessThanOrEqual(MAX_PIPELINED + 2);
    expect(r.text.match(/HTTP\/1.1 /g)?.length ?? 0).toBeLessThan(300);
  });

  it('ends the requests queued behind a refusal that closes the connection: nothing stays in flight', async () => {
    // The 404 closes the connection; the 20 requests pipelined behind it never get their turn.
    const r = await raw(`GET /nope HTTP/1.1\r\nHost: x\r\n\r\n${chat().repeat(20)}`);
    expect(r.text).toMatch(/^HTTP\/1.1 404/);
    await eventually(() => gw.gateway.state.live.size === 0);
    // Had they leaked, 20 would hold the cap of 20: a fresh request would be refused as overloaded.
    expect((await chatOnce(gw.url, 'm')).status).toBe(200);
  });

  it(`closes a connection with more than MAX_PIPELINED (${MAX_PIPELINED}) requests waiting their turn`, async () => {
    const n = MAX_PIPELINED + 8;
    const r = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(n));
    expect(r.text.match(/HTTP\/1.1 200/g)?.length ?? 0).toBeLessThan(n);
    expect(gw.gateway.state.live.size).toBe(0);
  });

  it('aborts upstream the streams queued behind another when the client leaves', async () => {
    const before = (await gw.mockStats('vllm')).aborted.count;
    // Three slow streams in one write: the first is answered, the two behind it wait their turn.
    const slow = 'x-mock-tps: 20\r\n';
    const r = await raw(chat(slow) + chat(slow) + chat(slow), { keepOpenMs: 1000 });
    expect(r.text).toMatch(/^HTTP\/1.1 200/);
    await eventually(() => gw.gateway.state.live.size === 0);
    await eventually(async () => (await gw.mockStats('vllm')).aborted.count - before === 3);
  });

  it('takes one /aigw/events subscription per connection, and forgets it when the client leaves', async () => {
    const admin = new URL(gw.adminUrl);
    const sub = 'GET /aigw/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    let whileOpen = -1;
    await new Promise<void>((resolve) => {
      const s = connect(Number(admin.port), '127.0.0.1', () => s.write(sub.repeat(10)));
      s.on('error', () => {});
      s.once('data', () =>
        setTimeout(() => {
          whileOpen = gw.admin.events.subscribers;
          s.destroy();
        }, 100),
      );
      s.on('close', () => resolve());
    });
    // Nine pipelined behind the first would hold places they can never use.
    expect(whileOpen).toBe(1);
    await eventually(() => gw.admin.events.subscribers === 0);
  });
});
