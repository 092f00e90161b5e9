/** What backends do wrong, and what the client sees instead (reliability.md, B and E). */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { inParallel } from '../helpers/load.js';
import { rawPost } from '../helpers/raw.js';
import { useRawUpstream, useUpstream } from '../helpers/upstream.js';

const json = (res: import('node:http').ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};
const OK = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
});

/** 503, 503, then 200 — per distinct x-test value. */
const flips = new Map<string, number>();
const flaky = await useUpstream((req, res) => {
  const key = String(req.headers['x-test']);
  const n = (flips.get(key) ?? 0) + 1;
  flips.set(key, n);
  const retryAfter = String(req.headers['x-retry-after'] ?? '0');
  if (n <= 2) return json(res, 503, '{"error":{"message":"busy","type":"ServiceUnavailable","code":503}}', { 'retry-after': retryAfter });
  json(res, 200, OK);
});

/** Answers in the dialect named by x-dialect. */
const DIALECTS: Record<string, [number, string, string]> = {
  'vllm-old': [
    400,
    'application/json',
    '{"object":"error","message":"This model\'s maximum context length is 8192 tokens","type":"BadRequestError","param":null,"code":400}',
  ],
  vllm: [
    400,
    'application/json',
    '{"error":{"message":"max_tokens must be at least 1","type":"BadRequestError","param":"max_tokens","code":400}}',
  ],
  'tei-413': [413, 'text/plain', 'Payload Too Large: batch size 64 > maximum allowed batch size 32'],
  fastapi: [422, 'application/json', '{"detail":"Field required"}'],
  openai: [
    400,
    'application/json',
    '{"error":{"message":"context too long","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}',
  ],
  'html-502': [502, 'text/html', '<html><body><h1>502 Bad Gateway</h1><p>nginx/1.25 at 10.0.0.7</p></body></html>'],
  redirect: [302, 'text/plain', 'moved'],
};
const dialects = await useUpstream((req, res) => {
  const [status, ct, body] = DIALECTS[String(req.headers['x-dialect'])]!;
  res.writeHead(status, { 'content-type': ct, ...(status === 302 ? { location: 'http://169.254.169.254/' } : {}) });
  res.end(body);
});

const capture = await useUpstream((req, res) => {
  if (req.headers['x-answer'] === 'gzip') {
    // An answer padded to 10 MiB with whitespace (JSON allows it): 10 KiB compressed, held by no buffer.
    const gz = gzipSync(Buffer.concat([Buffer.from(OK.slice(0, -1)), Buffer.alloc(10 * 1024 * 1024, 0x20), Buffer.from('}')]));
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
    return res.end(gz);
  }
  json(res, 200, OK, {
    'set-cookie': 'session=backend-secret',
    'x-backend-extra': 'kept',
    // Hop-by-hop by being named in Connection (RFC 9110 §7.6.1); content-type named there too is still framing.
    connection: 'keep-alive, X-Hop-Only, content-type',
    'x-hop-only': 'backend-internal',
  });
});

/** Raw bytes for broken framing: CL+TE, duplicate CL, CR/LF in a header value. */
const broken = await useRawUpstream((socket, request) => {
  const kind = /x-broken: (\S+)/.exec(request)?.[1];
  const body = OK;
  if (kind === 'cl-te') socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\ntransfer-encoding: chunked\r\n\r\n${body}`);
  else if (kind === 'dup-cl') socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\ncontent-length: 5\r\n\r\n${body}`);
  else if (kind === 'bad-header') socket.end(`HTTP/1.1 200 OK\r\nx-evil: a\rb\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
  else socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
});

/** Accepts connections and never answers. */
const silent = await useRawUpstream(() => {});

/** Closes idle keep-alive sockets after 100 ms, as uvicorn does after 5 s. */
const { createServer } = await import('node:http');
const racy = createServer({ keepAliveTimeout: 100 }, (req, res) => {
  req.resume();
  req.on('end', () => json(res, 200, OK));
});
await new Promise<void>((r) => racy.listen(0, '127.0.0.1', r));
const racyUrl = `http://127.0.0.1:${(racy.address() as { port: number }).port}`;

const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 400ms }
resilience: { consecutiveFailures: 1000, retryAfterCap: 1s }
backends:
  flaky: { url: "{{flaky}}" }
  dialects: { url: "{{dialects}}" }
  capture: { url: "{{capture}}", apiKey: backend-credential, headers: { x-extra: "1" } }
  broken: { url: "{{broken}}" }
  silent: { url: "{{silent}}" }
  racy: { url: "{{racy}}" }
  busy429: { url: http://127.0.0.1:0, mock: { kind: vllm, faults: { rate: 1, kinds: ["status:429"] } } }
  busy503: { url: http://127.0.0.1:0, mock: { kind: vllm, faults: { rate: 1, kinds: ["status:503"] } } }
  spare: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  flaky: { targets: [{ backend: flaky }] }
  dialects: { targets: [{ backend: dialects }] }
  capture: { targets: [{ backend: capture, model: upstream-name }] }
  broken: { targets: [{ backend: broken }] }
  silent: { targets: [{ backend: silent }] }
  silent-with-fallback: { targets: [{ backend: silent }], fallbacks: [spare] }
  racy: { targets: [{ backend: racy }] }
  busy429: { targets: [{ backend: busy429 }], fallbacks: [spare] }
  busy503: { targets: [{ backend: busy503 }], fallbacks: [spare] }
  spare: { targets: [{ backend: spare }] }
`,
  { flaky: flaky.url, dialects: dialects.url, capture: capture.url, broken: broken.url, silent: silent.url, racy: racyUrl },
);
const post = (model: string, headers: Record<string, string> = {}, extra: object = {}) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, ...extra }, { headers });
const errorOf = (r: { body: Buffer }) => JSON.parse(r.body.toString()).error;
/** Posts `body` as it is (not re-serialised) to the chat endpoint; the answer's status. */
async function sendRaw(body: string | Buffer): Promise<number> {
  const { request } = await import('undici');
  const r = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await r.body.text();
  return r.statusCode;
}

describe('retries and failover before the first byte', () => {
  it('503, 503, 200 → 200 within the retry budget (case 11)', async () => {
    const r = await post('flaky', { 'x-test': 'a' });
    expect(r.status).toBe(200);
    expect(flips.get('a')).toBe(3);
  });

  it('sends each retry the same bytes as the first attempt, for a prompt in other scripts', async () => {
    const prompt = '敏捷的棕色狐狸 — Привет 🦊';
    const r = await post('flaky', { 'x-test': 'utf8' }, { messages: [{ role: 'user', content: prompt }] });
    expect(r.status).toBe(200);
    const sent = flaky.seen.filter((c) => c.headers['x-test'] === 'utf8').map((c) => c.bytes);
    expect(sent).toHaveLength(3);
    expect(sent[0]!.includes(Buffer.from(prompt))).toBe(true);
    expect(sent[1]!.equals(sent[0]!) && sent[2]!.equals(sent[0]!)).toBe(true);
  });

  it("honours a backend's retry-after before trying it again, up to the cap; beyond the cap it gives up (case 11)", async () => {
    const t0 = Date.now();
    const waited = await post('flaky', { 'x-test': 'b', 'x-retry-after': '1' });
    expect(waited.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    const t1 = Date.now();
    const refused = await post('flaky', { 'x-test': 'c', 'x-retry-after': '30' });
    expect(refused.status).toBe(502);
    expect(flips.get('c')).toBe(1);
    // It gave up rather than wait the 30 s it was told.
    expect(Date.now() - t1).toBeLessThan(10_000);
  });

  it('never retries a 400 (case 11)', async () => {
    const before = dialects.seen.length;
    const r = await post('dialects', { 'x-dialect': 'vllm' });
    expect(r.status).toBe(400);
    expect(dialects.seen.length).toBe(before + 1);
  });

  it('fails over on a backend 429 or 503 to the fallback (case 20)', async () => {
    for (const model of ['busy429', 'busy503']) {
      const r = await post(model);
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('spare');
    }
  });

  it('a silent backend: fallback within the first-byte timeout, else 504 (case 14)', async () => {
    const t0 = Date.now();
    const fb = await post('silent-with-fallback');
    expect(fb.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    const alone = await post('silent');
    expect(alone.status).toBe(504);
    expect(errorOf(alone).code).toBe('upstream_timeout');
  });

  it('survives the keep-alive race: zero client-visible errors against a backend that drops idle sockets (case 16)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push((await post('racy')).status);
      await new Promise((r) => setTimeout(r, 95 + (i % 3) * 5));
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
  }, 30_000);
});

describe("backend errors in OpenAI's shape (case 9)", () => {
  it.each([
    ['vllm-old', 400, 'invalid_request', /maximum context length/],
    ['vllm', 400, 'invalid_request', /max_tokens must be at least 1/],
    ['tei-413', 413, 'request_too_large', /answered HTTP 413/],
    ['fastapi', 422, 'invalid_request', /Field required/],
    ['openai', 400, 'context_length_exceeded', /context too long/],
    ['html-502', 502, 'upstream_error', /HTTP 502/],
    ['redirect', 502, 'upstream_error', /HTTP 302/],
  ])('%s → %d %s', async (dialect, status, code, message) => {
    const r = await post('dialects', { 'x-dialect': dialect });
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe('application/json');
    const e = errorOf(r);
    expect(e.code).toBe(code);
    expect(typeof e.code).toBe('string');
    expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/<html|10\.0\.0\.7|169\.254/);
  });
});

describe('broken framing and headers from a backend', () => {
  const brokenKinds = ['cl-te', 'dup-cl', 'bad-header'];
  it.each(brokenKinds)('%s → 502 bad_upstream_response, and the pool stays healthy (cases 18, 48)', async (kind) => {
    const r = await post('broken', { 'x-broken': kind });
    expect(r.status).toBe(502);
    expect(errorOf(r).code).toBe('bad_upstream_response');
    expect((await post('broken', { 'x-broken': 'none' })).status).toBe(200);
  });

  it('drops set-cookie and hop-by-hop headers from the backend, keeps the rest (case 48)', async () => {
    const r = await post('capture');
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['x-hop-only']).toBeUndefined();
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-backend-extra']).toBe('kept');
  });

  it('passes a compressed answer through untouched, with its content-encoding (case 17)', async () => {
    const r = await post('capture', { 'x-answer': 'gzip' });
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.body.length).toBe(Number(r.headers['content-length']));
    expect(r.body.length).toBeLessThan(100_000);
  });
});

describe('header hygiene (case 47) and SSRF (case 50)', () => {
  it('sends the backend only its own credential: no client keys, cookies, hop-by-hop or Host; XFF appended', async () => {
    await post('capture', {
      authorization: 'Bearer client-secret',
      'x-api-key': 'client-secret-2',
      'api-key': 'client-secret-3',
      cookie: 'sid=client-cookie',
      connection: 'x-hop',
      'x-hop': 'must-not-pass',
      'proxy-authorization': 'Basic abc',
      'x-forwarded-for': '203.0.113.9',
      'x-mock-ttft': '0ms',
      'x-session-id': 's-1',
    });
    const seen = capture.seen.at(-1)!;
    const raw = seen.rawHeaders.join('\n');
    for (const secret of ['client-secret', 'client-cookie', 'must-not-pass', 'Basic abc']) expect(raw).not.toContain(secret);
    expect(seen.headers.authorization).toBe('Bearer backend-credential');
    expect(seen.headers['x-extra']).toBe('1');
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen.headers['x-mock-ttft']).toBe('0ms');
    expect(seen.headers['x-session-id']).toBe('s-1');
    expect(seen.headers.host).toBe(new URL(capture.url).host);
    expect(seen.url).toBe('/v1/chat/completions');
  });

  it('sends the body byte for byte, only the model renamed (case 5)', async () => {
    const text =
      '{"model" :  "capture", "messages":[{"role":"user","content":"h\\u00e9llo"}], ' +
      '"weird_param": {"n": [1, 2.50, 1e3], "s": "x\\"y"},"max_tokens":2}';
    await sendRaw(text);
    expect(capture.seen.at(-1)!.body).toBe(text.replace('"capture"', '"upstream-name"'));
  });

  it.each([
    ['a prompt in other scripts and astral characters, model after it', '敏捷的棕色狐狸 — Привет 🦊🐕‍🦺', false],
    ['a streamed prompt (include_usage added before the last brace)', 'ünïcödé', true],
  ])('%s: sent byte for byte, only the model renamed', async (_n, prompt, stream) => {
    const text = `{"messages":[{"role":"user","content":${JSON.stringify(prompt)}}] , "model":"capture" ${stream ? ',"stream":true' : ''}}`;
    await sendRaw(text);
    const renamed = text.replace('"capture"', '"upstream-name"');
    const expected = stream ? `${renamed.slice(0, -1)},"stream_options":{"include_usage":true}}` : renamed;
    expect(capture.seen.at(-1)!.bytes.equals(Buffer.from(expected))).toBe(true);
  });

  it('sends a body that is not valid UTF-8 as the text it read: each bad byte as U+FFFD, never as raw bytes', async () => {
    const head = Buffer.from('{"model":"capture","messages":[{"role":"user","content":"bad ');
    const bytes = Buffer.concat([head, Buffer.from([0xff, 0xc3]), Buffer.from(' é"}]}')]);
    expect(await sendRaw(bytes)).toBe(200);
    expect(capture.seen.at(-1)!.bytes.equals(Buffer.from(bytes.toString('utf8').replace('"capture"', '"upstream-name"')))).toBe(true);
    expect(capture.seen.at(-1)!.body).toContain('bad \uFFFD\uFFFD é');
  });

  it.each([
    ['plain', '{"model":"dialects","model":"capture","messages":[{"role":"user","content":"x"}]}'],
    ['escaped', '{"model":"dialects","m\\u006fdel":"capture","messages":[{"role":"user","content":"x"}]}'],
  ])(
    'refuses repeated "model" keys (%s) with 400 naming the key, and sends nothing upstream (case 28, trust class 5)',
    async (_n, text) => {
      const { request } = await import('undici');
      const before = capture.seen.length;
      const r = await request(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      const body = (await r.body.json()) as { error: { code: string; param: string } };
      expect(r.statusCode).toBe(400);
      expect(body.error).toMatchObject({ code: 'invalid_request', param: 'model' });
      expect(capture.seen.length).toBe(before);
    },
  );

  it('handles many concurrent failing requests without leaking (sanity)', async () => {
    const rs = await inParallel(50, 25, () => post('dialects', { 'x-dialect': 'html-502' }));
    expect(rs.every((r) => r.status === 502)).toBe(true);
  });
});
