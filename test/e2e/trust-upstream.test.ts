/**
 * Trust classes 3, 7, 9 and 11, through the gateway on real sockets: bounded waits for a backend's
 * connections, one client's poison request cannot eject a shared backend, secrets never travel back, and
 * a stream that ends without its end marker (or with an event too large) is a cut, not an answer.
 */
import { describe, expect, it } from 'vitest';
import { anthropicEvent } from '../helpers/anthropic-sse.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-9f8e7d6c';
const TENANT_KEY = 'sk-tenant-key-1a2b3c4d';

const echo = await useUpstream((req, res, body) => {
  // A careless backend: its error message repeats the credential it was given, and the body it received.
  if (body.includes('leak')) {
    const e = JSON.stringify({
      error: {
        message: `bad request with ${req.headers.authorization} and ${body}`,
        type: 'invalid_request_error',
        param: `${req.headers.authorization}`,
      },
    });
    return res.writeHead(400, { 'content-type': 'application/json' }).end(e);
  }
  if (body.includes('refuse-credentials')) {
    return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided"}}');
  }
  if (body.includes('poison')) return res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
  if (body.includes('early-hints')) {
    // A 1xx informational response first (103 Early Hints), then the answer: only the answer is the client's.
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    if (!body.includes('"stream":true')) {
      const answer =
        '{"id":"x","object":"chat.completion","model":"echo-up","choices":[{"index":0,"message":{"role":"assistant","content":"hinted"}}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}';
      return res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"id":"x","object":"chat.completion.chunk","model":"echo-up","choices":[{"index":0,"delta":{"content":"hin"}}]}\n\n');
    res.write('data: {"id":"x","object":"chat.completion.chunk","model":"echo-up","choices":[{"index":0,"delta":{"content":"ted"}}]}\n\n');
    return res.end(
      'data: {"id":"x","object":"chat.completion.chunk","model":"echo-up","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\ndata: [DONE]\n\n',
    );
  }
  if (body.includes('empty-events')) {
    // 500 events that carry nothing, the backend's own count (2), and no end marker: an estimate from events.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"index":0,"delta":{}}]}\n\n'.repeat(500));
    return res.end('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n');
  }
  if (body.includes('stream-error')) {
    // A backend's own error event mid-stream, echoing the credential it was given; then more it should not send.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
    return res.end(
      `data: {"error": {"message": "auth failed for ${req.headers.authorization}", "type": "x"}}\n\ndata: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\ndata: [DONE]\n\n`,
    );
  }
  if (body.includes('stream-to-json')) {
    // A backend that streams whether asked or not.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return res.end(
      'data: {"id":"x","object":"chat.completion.chunk","model":"echo-up","choices":[{"index":0,"delta":{"content":"streamed"}}]}\n\ndata: [DONE]\n\n',
    );
  }
  if (body.includes('json-to-stream')) {
    // A backend that ignores `stream: true` and answers whole (labelled as JSON, or not labelled at all).
    const answer =
      '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"whole"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    return res.writeHead(200, body.includes('unlabelled') ? {} : { 'content-type': 'application/json; charset=utf-8' }).end(answer);
  }
  if (body.includes('sse-labelled-json')) {
    // A real stream under the wrong label.
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: [DONE]\n\n');
  }
  if (body.includes('unterminated')) {
    // The backend's last event never ends (no blank line): `data: [DONE]`, or half a chunk's JSON.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
    return res.end(body.includes('unterminated-done') ? 'data: [DONE]' : 'data: {"choices":[{"index":0,"delta":{"content":"b');
  }
  if (body.includes('big-event')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
    return res.end(`data: {"choices":[{"index":0,"delta":{"content":"${'x'.repeat(200 * 1024)}"}}]}\n\ndata: [DONE]\n\n`);
  }
  const ok =
    '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
  res.writeHead(200, { 'content-type': 'application/json' }).end(ok);
});

const gw = await useGateway(
  `
version: 1
limits: { maxEventBytes: 64Ki }
resilience: { consecutiveFailures: 2, cooldown: 10s }
backends:
  echo: { url: "{{echo}}", apiKey: "${SECRET}", headers: { x-extra: configured } }
  a: { url: "{{echo}}" }
  b: { url: "{{echo}}" }
  c: { url: "{{echo}}" }
  narrow: { url: http://127.0.0.1:0, pool: { connections: 2, queue: 1, queueTimeout: 300ms }, mock: { kind: vllm } }
models:
  echo: { targets: [{ backend: echo }] }
  shared: { targets: [{ backend: a }, { backend: b }, { backend: c }] }
  narrow: { targets: [{ backend: narrow }] }
tenants:
  t: { keys: ["${TENANT_KEY}"] }
`,
  { echo: echo.url },
);

const post = (model: string, content: string, extra: { headers?: Record<string, string>; body?: object } = {}) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content }], max_tokens: 5, ...extra.body },
    { headers: { authorization: `Bearer ${TENANT_KEY}`, ...extra.headers } },
  );

describe('backend pools cannot be starved (trust class 3)', () => {
  it('queues one request behind 2 busy connections for at most queueTimeout, refuses past the queue at once', async () => {
    const hold = { headers: { 'x-mock-ttft': '0ms', 'x-mock-tps': '20' }, body: { stream: true, max_tokens: 40 } };
    const busy = [post('narrow', 'hold 1', hold), post('narrow', 'hold 2', hold)];
    await eventually(async () => ((await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as { inflight: number }).inflight === 2);
    const started = performance.now();
    const [queued, overflow] = await Promise.all([
      post('narrow', 'waits'),
      new Promise((r) => setTimeout(r, 50)).then(() => post('narrow', 'overflows')),
    ]);
    for (const r of [queued, overflow]) {
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body.toString()).error.code).toBe('upstream_unavailable');
      expect(r.headers['retry-after']).toBe('1');
    }
    // The queued one waited its bound (300 ms), not the first-byte timeout (120 s); the overflow was not queued.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(overflow.headersAt).toBeLessThan(queued.headersAt + 1000);
    for (const r of await Promise.all(busy)) expect(r.events.at(-1)?.data).toBe('[DONE]');
  }, 30_000);
});

describe('one bad request cannot eject a shared backend (trust class 7)', () => {
  it('counts a 5xx that the same request causes on every target once, so nothing is ejected', async () => {
    const r = await post('shared', 'poison');
    expect(r.status).toBe(502);
    expect(gw.eventsOf('upstream_error').filter((e) => e.model === 'shared').length).toBeGreaterThanOrEqual(3);
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toHaveLength(0);
    expect((await post('shared', 'fine')).status).toBe(200);
  });
});

describe('secrets never travel back (trust class 9)', () => {
  it("scrubs the backend's key and the tenant's key from a backend's error message and param", async () => {
    const r = await post('echo', `leak ${TENANT_KEY}`);
    expect(r.status).toBe(400);
    const text = r.body.toString();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TENANT_KEY);
    expect(text).toContain('[redacted]');
    expect(JSON.parse(text).error.param).toBe('Bearer [redacted]');
    const logged = JSON.stringify(gw.events);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(TENANT_KEY);
  });

  it("answers a backend's 401 as 502 upstream_auth_error: the client's key was fine", async () => {
    const r = await post('echo', 'refuse-credentials');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).error.code).toBe('upstream_auth_error');
  });

  it("strips organisation, project, forwarding and provider key headers before the backend, and a client's copy of the backend's own", async () => {
    const stripped = {
      'openai-organization': 'org-1',
      'openai-project': 'proj-1',
      'x-real-ip': '10.0.0.1',
      forwarded: 'for=10.0.0.1',
      'x-forwarded-host': 'evil.example',
      // A client certificate the gateway never saw, as Envoy's XFCC names one to a backend that trusts it.
      'x-forwarded-client-cert': 'By=spiffe://cluster/ns/ai/sa/backend;URI=spiffe://cluster/ns/ai/sa/admin',
      // RFC 9440's fields, which a backend behind a TLS-terminating proxy reads as the certificate that proxy verified.
      'client-cert': ':MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6MRswGQYDVQQKDBJMZXQncyBBdXRoZW50aWNhdGU=:',
      'client-cert-chain': ':MIIB5jCCAYugAwIBAgIBFjAKBggqhkjOPQQDAjBWMQswCQYDVQQGEwJVUzE=:',
      // Traefik's passTLSClientCert names.
      'x-forwarded-tls-client-cert': 'MIIBqDCCAU6gAwIBAgIBBzAK',
      'x-forwarded-tls-client-cert-info': 'Subject%3D%22CN%3Dadmin%22',
      'x-goog-api-key': 'g-key',
      'ocp-apim-subscription-key': 'apim-key',
      // The same, spelt with underscores (CGI and WSGI servers read them as the dashed names).
      openai_organization: 'org-2',
      x_forwarded_host: 'evil.example',
      x_api_key: 'stolen',
    };
    // A header the profile sets for the backend: the client's of that name (however spelt) is not sent beside it.
    const shadowing = { 'x-extra': 'client-value', x_extra: 'client-value-2' };
    await post('echo', 'headers', { headers: { ...stripped, ...shadowing, 'x-session-id': 'kept' } });
    const seen = echo.seen.at(-1)!.headers;
    for (const name of Object.keys(stripped)) expect(seen[name], name).toBeUndefined();
    expect(seen['x-extra']).toBe('configured');
    expect(seen.x_extra).toBeUndefined();
    expect(seen['x-session-id']).toBe('kept');
    expect(seen.authorization).toBe(`Bearer ${SECRET}`);
  });
});

describe('stream integrity (trust class 11)', () => {
  it("passes over a backend's 1xx informational response (103 Early Hints): the answer after it arrives whole", async () => {
    const plain = await post('echo', 'early-hints');
    expect(plain.status).toBe(200);
    expect(JSON.parse(plain.body.toString()).choices[0].message.content).toBe('hinted');
    expect(plain.headers.link).toBeUndefined();
    const streamed = await post('echo', 'early-hints', { body: { stream: true } });
    expect(streamed.status).toBe(200);
    expect(streamed.headers['content-type']).toContain('text/event-stream');
    expect(
      streamed.events
        .map((e) => e.data)
        .filter((d) => d !== '[DONE]')
        .map((d) => JSON.parse(d!).choices[0]?.delta.content),
    ).toEqual(['hin', 'ted']);
    expect(streamed.events.at(-1)!.data).toBe('[DONE]');
    await eventually(() => gw.eventsOf('request').some((e) => e.stream && e.tokens.output === 2 && e.status === 200));
  });

  it('never charges an estimate above what the request could generate (max_tokens × choices)', async () => {
    const r = await post('echo', 'empty-events', { body: { stream: true } });
    expect(r.status).toBe(200);
    await eventually(() => gw.eventsOf('request').some((e) => e.tokens.outputSource === 'estimate' && e.stream && e.status === 200));
    const charged = gw
      .eventsOf('request')
      .filter((e) => e.tokens.outputSource === 'estimate' && e.stream)
      .at(-1)!.tokens;
    // post() asks for max_tokens 5; 500 empty events must not cost 500.
    expect(charged.output).toBeLessThanOrEqual(5);
    expect(charged.output).toBeGreaterThanOrEqual(2);
  });

  it("ends a stream at the backend's own error event: one error frame, scrubbed, nothing after it", async () => {
    const r = await post('echo', 'stream-error', { body: { stream: true } });
    expect(r.status).toBe(200);
    const text = r.body.toString();
    expect(text).not.toContain(SECRET);
    const data = r.events.map((e) => JSON.parse(e.data!));
    expect(data).toHaveLength(2);
    expect(data[0].choices[0].delta.content).toBe('a');
    expect(data[1].error.code).toBe('upstream_stream_error');
    expect(data[1].error.message).toContain('auth failed for Bearer [redacted]');
    expect(gw.eventsOf('truncation').at(-1)).toMatchObject({ reason: 'upstream_reset', stream: true });
  });

  it.each(['json-to-stream', 'json-to-stream unlabelled'])(
    'answers 502 bad_upstream_response, not JSON with an error frame appended, when a stream request gets a whole JSON answer (%s)',
    async (scenario) => {
      const r = await post('echo', scenario, { body: { stream: true } });
      expect(r.status).toBe(502);
      expect(r.headers['content-type']).toContain('application/json');
      expect(JSON.parse(r.body.toString()).error.code).toBe('bad_upstream_response');
    },
  );

  it('relays a stream labelled application/json as the event stream it is', async () => {
    const r = await post('echo', 'sse-labelled-json', { body: { stream: true } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.events.map((e) => e.data)).toEqual(['{"choices":[{"index":0,"delta":{"content":"a"}}]}', '[DONE]']);
  });

  it('passes a whole JSON answer to a request that did not ask for a stream', async () => {
    // Asked without a stream, the same answer passes whole.
    const plain = await post('echo', 'json-to-stream');
    expect(JSON.parse(plain.body.toString()).choices[0].message.content).toBe('whole');
  });

  it('answers 502 bad_upstream_response, not an event stream the SDK reads as a string, when a request without a stream gets one', async () => {
    const r = await post('echo', 'stream-to-json');
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toContain('application/json');
    const error = JSON.parse(r.body.toString()).error;
    expect(error.code).toBe('bad_upstream_response');
    expect(error.message).toContain('the answer is a stream');
    // Asked for a stream, the same answer passes.
    const streamed = await post('echo', 'stream-to-json', { body: { stream: true } });
    expect(streamed.status).toBe(200);
    expect(streamed.body.toString()).toContain('streamed');
  });

  it.each(['unterminated-done', 'unterminated-json'])(
    'cuts a stream whose last event never ends (%s) with upstream_stream_error: no [DONE], no half event',
    async (scenario) => {
      const r = await post('echo', scenario, { body: { stream: true } });
      expect(r.status).toBe(200);
      expect(r.events.some((e) => e.data === '[DONE]')).toBe(false);
      // Every event the client gets is whole JSON: the half one was not completed for it.
      const data = r.events.map((e) => JSON.parse(e.data!));
      expect(data[0].choices[0].delta.content).toBe('a');
      expect(data.at(-1).error.code).toBe('upstream_stream_error');
      expect(data).toHaveLength(2);
    },
  );

  it('ends a stream with an event larger than limits.maxEventBytes with upstream_stream_error, no [DONE]', async () => {
    const r = await post('echo', 'big-event', { body: { stream: true } });
    expect(r.status).toBe(200);
    expect(r.events.some((e) => e.data === '[DONE]')).toBe(false);
    expect(JSON.parse(r.events.at(-1)!.data!).error.code).toBe('upstream_stream_error');
    expect(r.body.length).toBeLessThan(100 * 1024);
    expect(gw.eventsOf('truncation').at(-1)).toMatchObject({ reason: 'event_too_large', stream: true });
  });
});

describe("a backend's names are bounded where the gateway keeps them", () => {
  it('keeps an Anthropic backend’s 64 KiB model name out of the request event; relayed as it came, translated not at all', async () => {
    const huge = `claude-${'x'.repeat(64 * 1024)}`;
    const up = await useUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        anthropicEvent('message_start', {
          message: {
            id: 'msg',
            type: 'message',
            role: 'assistant',
            model: huge,
            content: [],
            stop_reason: null,
            usage: { input_tokens: 3, output_tokens: 1 },
          },
        }),
      );
      res.write(anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
      res.write(anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hello' } }));
      res.write(anthropicEvent('content_block_stop', { index: 0 }));
      res.write(anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }));
      res.end(anthropicEvent('message_stop', {}));
    });
    const g = await useGateway(
      `
version: 1
backends:
  claude: { url: "{{UP}}", kind: anthropic, apiKey: sk-ant-x }
models:
  c: { targets: [{ backend: claude }] }
`,
      { UP: up.url },
    );
    for (const path of ['messages', 'chat/completions']) {
      const before = g.eventsOf('request').length;
      const r = await rawPost(
        `${g.url}/v1/${path}`,
        { model: 'c', messages: [{ role: 'user', content: 'x' }], max_tokens: 5, stream: true },
        { headers: { 'anthropic-version': '2023-06-01' } },
      );
      expect(r.status, path).toBe(200);
      if (path === 'messages') expect(r.body.toString(), path).toContain('hello');
      // A translation names the model in every chunk: an answer naming one over 256 characters is not translated
      // (test/e2e/trust-translate-long-names.test.ts), and says why in the stream's error frame.
      else expect(r.body.toString(), path).toContain('a model name of 65543 characters (at most 256)');
      await eventually(() => g.eventsOf('request').length > before);
      const e = g.eventsOf('request')[before]!;
      expect(e.responseModel, path).toBeUndefined();
      expect(JSON.stringify(e).length, path).toBeLessThan(2048);
    }
  });
});
