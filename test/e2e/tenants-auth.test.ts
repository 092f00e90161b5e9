/** API keys, allow-lists and secrets (reliability.md E; contract §3 401/403), with the official client. */
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/key-digest.js';
import { attachRequestLog } from '../../src/observe/request-log.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';
import { rawPost } from '../helpers/raw.js';

const ACME = 'sk-acme-CANARY-7f3a9c';
const HASHED = 'sk-hashed-CANARY-51be02';
const BACKEND = 'upstream-CANARY-c0ffee';

const capture = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    '{"id":"x","object":"chat.completion","created":1,"model":"m",' +
      '"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],' +
      '"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}',
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  capture: { url: "{{capture}}", apiKey: ${BACKEND} }
models:
  open-model: { targets: [{ backend: vllm }] }
  secret-model: { targets: [{ backend: vllm }] }
  captured: { targets: [{ backend: capture }] }
tenants:
  acme:
    keys: ["${ACME}"]
    models: [open-model, captured]
  hashed:
    keys: ["sha256:${sha256Hex(HASHED)}"]
`,
  { capture: capture.url },
);
let logged = '';
attachRequestLog(
  gw.gateway.state.bus,
  'json',
  new Writable({
    write: (c, _e, cb) => {
      logged += c;
      cb();
    },
  }),
);
const prettyOut: string[] = [];
attachRequestLog(
  gw.gateway.state.bus,
  'pretty',
  new Writable({
    write: (c, _e, cb) => {
      prettyOut.push(String(c));
      cb();
    },
  }),
);

const client = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
const body = (model = 'open-model') => ({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
const errorBodies: string[] = [];
const post = async (headers: Record<string, string>, model?: string) => {
  const r = await rawPost(`${gw.url}/v1/chat/completions`, body(model), { headers });
  if (r.status >= 400) errorBodies.push(r.body.toString());
  return r;
};

describe('401 invalid_api_key (case 44)', () => {
  it.each([
    ['no key at all', {}],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['Basic auth', { authorization: `Basic ${Buffer.from(`u:${ACME}`).toString('base64')}` }],
    ['an unknown (revoked) key', { authorization: 'Bearer sk-revoked-CANARY-000' }],
    ['a key with a trailing space', { authorization: `Bearer ${ACME} x` }],
  ])('%s', async (_name, headers) => {
    const r = await post(headers as Record<string, string>);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(r.body.toString()).error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
  });

  it('two Authorization headers', async () => {
    const { connect } = await import('node:net');
    const payload = JSON.stringify(body());
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n';
    const twoAuthorizations = `authorization: Bearer ${ACME}\r\nauthorization: Bearer other\r\n`;
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(Number(new URL(gw.url).port), '127.0.0.1', () =>
        sock.write(`${head}${twoAuthorizations}content-length: ${payload.length}\r\nconnection: close\r\n\r\n${payload}`),
      );
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('close', () => resolve(out));
    });
    expect(reply).toMatch(/^HTTP\/1.1 401/);
  });

  it('the openai client sees an AuthenticationError', async () => {
    await expect(client('sk-wrong').chat.completions.create(body() as never)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('accepted keys', () => {
  it('takes Authorization: Bearer, api-key and x-api-key, and sha256: keys from the profile', async () => {
    expect((await post({ authorization: `Bearer ${ACME}` })).status).toBe(200);
    expect((await post({ 'api-key': ACME })).status).toBe(200);
    expect((await post({ 'x-api-key': ACME })).status).toBe(200);
    expect((await post({ authorization: `Bearer ${HASHED}` }, 'secret-model')).status).toBe(200);
  });
});

describe('allow-lists (cases 8, 49)', () => {
  it('403 model_not_allowed outside the list (a permission error for the client)', async () => {
    const r = await post({ authorization: `Bearer ${ACME}` }, 'secret-model');
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body.toString()).error).toMatchObject({ code: 'model_not_allowed', type: 'permission_error', param: 'model' });
    await expect(client(ACME).chat.completions.create(body('secret-model') as never)).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('lists only the models the key may use', async () => {
    expect((await client(ACME).models.list()).data.map((m) => m.id).sort()).toEqual(['captured', 'open-model']);
    expect((await client(HASHED).models.list()).data.map((m) => m.id).sort()).toEqual(['captured', 'open-model', 'secret-model']);
    await expect(client(ACME).models.retrieve('secret-model')).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(401);
  });
});

describe('secrets never leak (cases 45, 46, 47)', () => {
  it("forwards the backend its own key, never the client's", async () => {
    await post({ authorization: `Bearer ${ACME}` }, 'captured');
    const seen = capture.seen.at(-1)!;
    expect(seen.headers.authorization).toBe(`Bearer ${BACKEND}`);
    expect(seen.rawHeaders.join('\n')).not.toContain(ACME);
  });

  it('no key appears in logs, events or error bodies — only short fingerprints', async () => {
    await post({ authorization: 'Bearer sk-revoked-CANARY-000' });
    await eventually(() => logged.includes('"type":"request"'));
    const everything = [logged, prettyOut.join(''), JSON.stringify(gw.events), errorBodies.join('\n')].join('\n');
    for (const secret of [ACME, HASHED, BACKEND, 'sk-revoked-CANARY-000']) expect(everything).not.toContain(secret);
    expect(errorBodies.join('\n')).toMatch(/sha256:[0-9a-f]{8}/);
    expect(JSON.stringify(gw.events)).toContain('"tenant":"acme"');
  });
});
