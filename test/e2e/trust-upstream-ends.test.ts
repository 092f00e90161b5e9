/**
 * How a backend's answer ends, as the client's SDK reads it: an error event wherever its `error` member stands,
 * a chunk whose `error` is null, a connection that breaks after the end marker, a 1xx before the answer.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-ends-1234';
const KEY = 'sk-tenant-ends';
const chunk = (content: string) => `data: {"id":"1","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
const OK =
  '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
const anthropicEvent = (t: string, d: object) => `event: ${t}\ndata: ${JSON.stringify({ type: t, ...d })}\n\n`;

const backend = await useUpstream((req, res, body) => {
  if (body.includes('error-not-first')) {
    // OpenRouter's mid-stream error: the chunk's id first; openai-node throws for any top-level `error`.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return res.end(
      `${chunk('Hel')}data: {"id":"1","error":{"message":"auth failed for ${req.headers.authorization}"}}\n\ndata: [DONE]\n\n`,
    );
  }
  if (body.includes('error-null')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return res.end(
      'data: {"error":null,"id":"1","choices":[{"index":0,"delta":{"content":"fine"},"finish_reason":null}]}\n\n' +
        'data: {"error":null,"id":"1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    );
  }
  if (body.includes('done-then-reset')) {
    // A whole answer and its end marker, then the connection breaks before the chunked terminator.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (req.url!.startsWith('/v1/messages')) {
      res.write(
        anthropicEvent('message_start', {
          message: {
            id: 'm',
            type: 'message',
            role: 'assistant',
            model: 'c',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 3, output_tokens: 1 },
          },
        }) +
          anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
          anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'whole answer' } }) +
          anthropicEvent('content_block_stop', { index: 0 }) +
          anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }) +
          anthropicEvent('message_stop', {}),
      );
    } else res.write(`${chunk('whole answer')}data: [DONE]\n\n`);
    return setTimeout(() => req.socket.destroy(), 100);
  }
  if (body.includes('ok-error-body')) {
    // A 200 whose body is an error object, echoing the gateway's credential.
    const error = req.url!.startsWith('/v1/messages')
      ? { type: 'error', error: { type: 'api_error', message: `auth failed for ${req.headers['x-api-key']}` } }
      : { error: { message: `auth failed for ${req.headers.authorization}` } };
    return res.writeHead(200, { 'content-type': 'application/json' }).end(`  ${JSON.stringify(error)}`);
  }
  if (body.includes('split-error-body') || body.includes('blank-error-stream')) {
    // The same error object, its first read only `{` (or, asked for a stream, only a blank line): TCP cuts anywhere.
    const text = JSON.stringify({ error: { message: `auth failed for ${req.headers.authorization}` } });
    const [first, rest] = body.includes('split') ? [text.slice(0, 1), text.slice(1)] : ['\n', text];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(first);
    return setTimeout(() => res.end(rest), 30);
  }
  if (body.includes('gzip-stream')) {
    // Compressed though aigw asked for identity.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
    return res.end(gzipSync(`${chunk('zipped')}data: [DONE]\n\n`));
  }
  if (body.includes('bom-error-body')) {
    return res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(`\uFEFF{"error":["auth failed for ${req.headers.authorization}"]}`);
  }
  if (body.includes('bad-param-200')) {
    // A client's mistake, answered 200 with an error object.
    const error = { error: { type: 'invalid_request_error', param: 'temperature', message: 'temperature must be <= 2' } };
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(error));
  }
  if (body.includes('identity-stream')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'Identity' });
    return res.end(`${chunk('plain')}data: [DONE]\n\n`);
  }
  if (body.includes('null-error-body')) {
    return res.writeHead(200, { 'content-type': 'application/json' }).end(`{"error":null,${OK.slice(1)}`);
  }
  if (body.includes('continue-first')) {
    // An unsolicited 100 Continue before the answer.
    res.writeContinue();
    return res.writeHead(200, { 'content-type': 'application/json' }).end(OK);
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 1000 }
backends:
  b: { url: "{{b}}", apiKey: "${SECRET}" }
  claude: { url: "{{b}}", kind: anthropic, apiKey: "${SECRET}" }
models:
  direct: { targets: [{ backend: b }] }
  claude: { targets: [{ backend: claude }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { b: backend.url },
);

const post = (content: string, body: object = {}) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'direct', messages: [{ role: 'user', content }], max_tokens: 100, ...body },
    { headers: { authorization: `Bearer ${KEY}` } },
  );

describe("a backend's error event, wherever its `error` member stands", () => {
  it('after the chunk id (OpenRouter): withheld, the secret scrubbed, the stream cut without [DONE]', async () => {
    const r = await post('error-not-first', { stream: true });
    const text = r.body.toString();
    expect(r.status).toBe(200);
    expect(text).toContain('"content":"Hel"');
    expect(text).not.toContain(SECRET);
    expect(text).toContain('upstream_stream_error');
    expect(text).not.toContain('data: [DONE]');
  });

  it('`"error": null` in every chunk (no error to openai-node): the stream is whole', async () => {
    const text = (await post('error-null', { stream: true })).body.toString();
    expect(text).toContain('"content":"fine"');
    expect(text).not.toContain('upstream_stream_error');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});

describe('a 200 whose body is an error object', () => {
  it('OpenAI: read as the error it is — 502 upstream_error, the secret scrubbed', async () => {
    const r = await post('ok-error-body');
    const text = r.body.toString();
    expect(r.status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'upstream_error', message: expect.stringContaining('[redacted]') } });
    expect(text).not.toContain(SECRET);
  });

  it('its first read only `{`: the same (told from the first bytes, not the first read)', async () => {
    const r = await post('split-error-body');
    expect(r.status).toBe(502);
    expect(r.body.toString()).toContain('[redacted]');
    expect(r.body.toString()).not.toContain(SECRET);
  });

  it('asked for a stream, its first read a blank line: no byte of it reaches the client', async () => {
    const r = await post('blank-error-stream', { stream: true });
    expect(r.status).toBe(502);
    expect(r.body.toString()).not.toContain(SECRET);
  });

  it('after a byte-order mark, with an array for its error: the same', async () => {
    const r = await post('bom-error-body');
    expect(r.status).toBe(502);
    expect(r.body.toString()).not.toContain(SECRET);
  });

  it("a client's mistake (invalid_request_error) is the client's 400: not failed over, not held against the backend", async () => {
    const seen = backend.seen.filter((x) => x.body.includes('bad-param-200')).length;
    const r = await post('bad-param-200');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString())).toMatchObject({ error: { type: 'invalid_request_error', param: 'temperature' } });
    expect(backend.seen.filter((x) => x.body.includes('bad-param-200')).length - seen).toBe(1);
  });

  it('`"error": null` first is an answer, passed as it came', async () => {
    const r = await post('null-error-body');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toMatchObject({ error: null, choices: [{ message: { content: 'ok' } }] });
  });

  it("Anthropic: the same, in Anthropic's error shape", async () => {
    const r = await rawPost(
      `${gw.url}/v1/messages`,
      { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'ok-error-body' }] },
      { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } },
    );
    const text = r.body.toString();
    expect(r.status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ type: 'error', error: { message: expect.stringContaining('[redacted]') } });
    expect(text).not.toContain(SECRET);
  });
});

describe('a connection that breaks after the end marker', () => {
  it('OpenAI: [DONE] stays the last event', async () => {
    const text = (await post('done-then-reset', { stream: true })).body.toString();
    expect(text).toContain('whole answer');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('upstream_stream_error');
  });

  it('Anthropic SDK: a stream that reached message_stop is a finished message, not an APIError', async () => {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const a = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
    const m = await a.messages
      .stream({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'done-then-reset' }] })
      .finalMessage();
    expect(m.content).toEqual([{ type: 'text', text: 'whole answer' }]);
    expect(m.stop_reason).toBe('end_turn');
  });
});

describe('a stream compressed though identity was asked for', () => {
  it('is no stream aigw can relay: 502 bad_upstream_response before any byte, not a gzip label on a plain error frame', async () => {
    const r = await post('gzip-stream', { stream: true });
    expect(r.status).toBe(502);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(r.body.toString())).toMatchObject({
      error: { code: 'bad_upstream_response', message: expect.stringContaining('encoded as gzip') },
    });
  });
});

describe('a content-encoding of identity, however spelt', () => {
  it('`Identity` is no encoding: the stream is relayed', async () => {
    const r = await post('identity-stream', { stream: true });
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('"content":"plain"');
  });
});

describe('a 1xx before the answer', () => {
  it('a request the backend acknowledged with 100 Continue is not sent to it twice', async () => {
    const before = backend.seen.filter((s) => s.body.includes('continue-first')).length;
    await post('continue-first');
    expect(backend.seen.filter((s) => s.body.includes('continue-first')).length - before).toBe(1);
  });
});
