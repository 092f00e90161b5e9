/**
 * A request body is read as UTF-8 whatever its content-type's charset says, and goes upstream with that content-type
 * as the client wrote it. A backend that decodes a JSON body by its charset — Express's body-parser does (any
 * `utf-*` iconv-lite knows, UTF-7 among them), ASP.NET's input formatter transcodes — reads other bytes than the
 * gateway read: in UTF-7, `+ACIALAAi…-` inside a string the gateway reads as text is `","model":"…` to the backend, a
 * second `model` after the one the gateway wrote (the last wins there), past the tenant's allow-list, its limits and
 * the route. Only UTF-8 is read; another charset is refused, nothing sent.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-charset';

/** UTF-7 as RFC 2152 writes it: `+`, base64 of UTF-16BE (no padding), `-`. */
function utf7(text: string): string {
  const be = Buffer.from(text, 'utf16le').swap16();
  return `+${be.toString('base64').replace(/=+$/, '')}-`;
}

/** RFC 2152's decoding, as iconv-lite does it for body-parser. */
function fromUtf7(text: string): string {
  return text.replace(/\+([A-Za-z0-9+/]*)-?/g, (_m, b64: string) => {
    if (b64 === '') return '+';
    const bytes = Buffer.from(b64, 'base64');
    return bytes
      .subarray(0, bytes.length & ~1)
      .swap16()
      .toString('utf16le');
  });
}

/**
 * The content-type a backend reads: the last one its head gives, as gunicorn's WSGI environ keeps it (CONTENT_TYPE is
 * overwritten by each), which Django reads its body's charset from — node:http keeps the first.
 */
function lastContentType(raw: readonly string[]): string | undefined {
  let ct: string | undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'content-type') ct = raw[i + 1];
  return ct;
}

/**
 * The charset as Django reads it (parse_header_parameters): the last `charset` parameter, RFC 2231's `charset*` among
 * them — the `*` dropped, and a value of `charset'language'text` read as its percent-decoded text.
 */
function djangoCharset(ct: string | undefined): string | undefined {
  let charset: string | undefined;
  for (const param of (ct ?? '').split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    let name = param.slice(0, eq).trim().toLowerCase();
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name.endsWith('*')) {
      name = name.slice(0, -1);
      const parts = value.split("'");
      if (parts.length === 3) value = decodeURIComponent(parts[2]!);
    }
    if (name === 'charset') charset = value.toLowerCase();
  }
  return charset;
}

const up = await useUpstream((req, res, body) => {
  const charset = djangoCharset(lastContentType(req.rawHeaders));
  const text = charset === 'utf-7' ? fromUtf7(body) : body;
  const model = (JSON.parse(text) as { model: string }).model;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: `served by ${model}` }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  cheap: { targets: [{ backend: b, model: cheap-upstream }] }
  premium: { targets: [{ backend: b, model: premium-upstream }] }
tenants:
  t:
    keys: ["${KEY}"]
    models: [cheap]
`,
  { b: up.url },
);

/** A POST whose head names each of `contentTypes` as a content-type header of its own (fetch would join them). */
function postTypes(body: string, contentTypes: readonly string[]): Promise<{ status: number; text: string }> {
  // Given as a list, the head has no host unless named (node:http's server refuses a request without one).
  const headers = ['host', new URL(gw.url).host, 'authorization', `Bearer ${KEY}`, 'content-length', String(Buffer.byteLength(body))];
  for (const ct of contentTypes) headers.push('content-type', ct);
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function post(body: string, contentType: string) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': contentType },
    body,
  });
}

describe("a request body's charset", () => {
  it('UTF-7 naming a model the tenant may not use: refused 415, nothing sent', async () => {
    const smuggled = utf7('","model":"premium-upstream');
    const body = `{"model":"cheap","messages":[{"role":"user","content":"hi"}],"note":"${smuggled}"}`;
    // What a UTF-7 reader makes of it (the test's own decoder, checked): another model than the gateway reads.
    expect((JSON.parse(fromUtf7(body)) as { model: string }).model).toBe('premium-upstream');
    expect((JSON.parse(body) as { model: string }).model).toBe('cheap');
    const before = up.seen.length;
    const r = await post(body, 'application/json; charset=utf-7');
    const text = await r.text();
    expect(r.status, text).toBe(415);
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    expect(up.seen.length).toBe(before);
  });

  it('a second content-type header naming UTF-7: refused 400, nothing sent — node:http reads the first, a backend may read the last', async () => {
    const body = `{"model":"cheap","messages":[{"role":"user","content":"hi"}],"note":"${utf7('","model":"premium-upstream')}"}`;
    const before = up.seen.length;
    const r = await postTypes(body, ['application/json', 'application/json; charset=utf-7']);
    expect(r.status, r.text).toBe(400);
    expect((JSON.parse(r.text) as { error: { code: string; param: string | null } }).error).toMatchObject({ code: 'invalid_request' });
    expect(up.seen.length).toBe(before);
  });

  it('the same content-type twice is one reading: served', async () => {
    const r = await postTypes('{"model":"cheap","messages":[{"role":"user","content":"hi"}]}', ['application/json', 'application/json']);
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain('served by cheap-upstream');
  });

  it.each(["utf-8''utf-7", 'UTF-7', "utf-8''%75tf-7"])(
    "RFC 2231's charset*=%s, UTF-7 to Django and Werkzeug: refused 415, nothing sent",
    async (value) => {
      const body = `{"model":"cheap","messages":[{"role":"user","content":"hi"}],"note":"${utf7('","model":"premium-upstream')}"}`;
      const before = up.seen.length;
      const r = await post(body, `application/json; charset*=${value}`);
      const text = await r.text();
      expect(r.status, text).toBe(415);
      expect(up.seen.length).toBe(before);
    },
  );

  it.each(['utf-16', 'ISO-8859-1', '"utf-7"', 'utf-8; charset=utf-7', ' UTF-7 '])('charset=%s: refused 415', async (charset) => {
    const before = up.seen.length;
    const r = await post('{"model":"cheap","messages":[{"role":"user","content":"hi"}]}', `application/json; charset=${charset}`);
    expect(r.status).toBe(415);
    expect(up.seen.length).toBe(before);
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/json; charset=utf8',
    "application/json; charset*=UTF-8''utf-8",
  ])('%s: served', async (ct) => {
    const r = await post('{"model":"cheap","messages":[{"role":"user","content":"hi"}]}', ct);
    const text = await r.text();
    expect(r.status, text).toBe(200);
    expect(text).toContain('served by cheap-upstream');
  });
});
