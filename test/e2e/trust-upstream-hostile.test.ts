/**
 * A backend that misbehaves on purpose, through the gateway on real sockets: an error body that never ends,
 * 1xx answers that never stop, a reset after the status line, a header that echoes the gateway's key, error
 * events and usage chunks in other spellings, a stream that talks on after its end marker, counts written as
 * strings. Each is bounded, scrubbed and counted; none holds the request, its slot or its tenant's lease.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-5e4d3c2b1a';
const TENANT_KEY = 'sk-tenant-key-hostile-77';
const chunk = (content: string) => `data: {"id":"1","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
const OK =
  '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';

const bad = await useUpstream((req, res, body) => {
  const every = (ms: number, f: () => void) => {
    const t = setInterval(f, ms);
    res.on('close', () => clearInterval(t));
  };
  if (body.includes('error-body-flood')) {
    // A 503 whose body goes on for ever, fast: past the bound the attempt fails over.
    res.writeHead(503, { 'content-type': 'application/json' });
    res.write(`{"error":{"message":"${'x'.repeat(70_000)}`);
    return every(50, () => res.write('x'.repeat(1000)));
  }
  if (body.includes('error-body-trickle')) {
    // A 503 whose body trickles: a byte every 100 ms, under every size bound and never idle.
    res.writeHead(503, { 'content-type': 'application/json' });
    return every(100, () => res.write('x'));
  }
  if (body.includes('processing')) {
    // 102 Processing every 100 ms and never an answer: undici restarts its first-byte timer at each.
    return every(100, () => res.writeProcessing());
  }
  if (body.includes('reset-after-status')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    return setTimeout(() => req.socket.destroy(), 50);
  }
  if (body.includes('echo-header')) {
    const auth = String(req.headers.authorization);
    return res
      .writeHead(200, {
        'content-type': `application/json; echo="${auth}"`,
        'x-debug-auth': auth,
        [`x-${SECRET}`]: '1',
      })
      .end(OK);
  }
  if (body.includes('error-event')) {
    // Error events as backends write them: spaced, vLLM's older shape, Anthropic's; each echoing the key.
    const shape = /error-event-(\w+)/.exec(body)![1];
    const message = `auth failed for ${req.headers.authorization}`;
    const event = {
      spaced: `{ "error": {"message": "${message}"}}`,
      older: `{"object": "error", "message": "${message}", "type": "BadRequestError", "code": 400}`,
      typed: `{"type":"error","error":{"type":"overloaded_error","message":"${message}"}}`,
    }[shape!];
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return res.end(`${chunk('Hel')}data: ${event}\n\ndata: [DONE]\n\n`);
  }
  if (body.includes('talks-after-done')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`${chunk('a')}data: [DONE]\n\n`);
    return every(200, () => res.write(': ping\n\n'));
  }
  if (body.includes('usage-spelled')) {
    // Python's json.dumps spacing for the usage chunk, and (string-counts) counts written as strings.
    const counts = body.includes('string-counts')
      ? '"prompt_tokens": 3, "completion_tokens": "40"'
      : '"prompt_tokens": 3, "completion_tokens": 40';
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < 40; i++) res.write(chunk(`w${i} `));
    return res.end(`data: {"id": "1", "choices": [], "usage": {${counts}}}\n\ndata: [DONE]\n\n`);
  }
  if (body.includes('usage-lie')) {
    // A count no request of max_tokens 100 can reach: 10^15 completion tokens, 10^15 prompt tokens.
    return res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(OK.replace('"prompt_tokens":1,"completion_tokens":1', '"prompt_tokens":999999999999999,"completion_tokens":999999999999999'));
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK);
});
const good = await useUpstream((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json', 'anthropic-trace-id': 'trace-1' }).end(OK),
);

const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 1s }
resilience: { consecutiveFailures: 1000 }
backends:
  bad: { url: "{{bad}}", apiKey: "${SECRET}" }
  good: { url: "{{good}}" }
  polite: { url: "{{good}}", headers: { accept: application/json, x-team: vision-models, x-portkey-provider: Anthropic } }
models:
  flaky: { targets: [{ backend: bad }], fallbacks: [steady] }
  steady: { targets: [{ backend: good }] }
  direct: { targets: [{ backend: bad }] }
  polite: { targets: [{ backend: polite }] }
tenants:
  t: { keys: ["${TENANT_KEY}"], limits: { concurrency: 2, tpm: 100000000 } }
`,
  { bad: bad.url, good: good.url },
);

const post = (model: string, content: string, body: object = {}, requestId?: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content }], max_tokens: 100, ...body },
    { headers: { authorization: `Bearer ${TENANT_KEY}`, ...(requestId ? { 'x-request-id': requestId } : {}) } },
  );
const inflight = async () => ((await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as { inflight: number }).inflight;
/** A request to `flaky` that its fallback answers (`good`), within `ms` — seconds, against a wait without end. */
async function failsOverToGood(marker: string, ms: number): Promise<void> {
  const started = performance.now();
  const r = await post('flaky', marker);
  expect(r.status).toBe(200);
  expect(r.headers['x-aigw-backend']).toBe('good');
  expect(performance.now() - started).toBeLessThan(ms);
}
const seenBy = (marker: string) => bad.seen.filter((s) => s.body.includes(marker)).length;

describe('an error answer whose body never ends', () => {
  it('fails over once its body passes 64 KiB (it held the request for ever, its fallback never tried)', async () => {
    await failsOverToGood('error-body-flood', 15_000);
    await eventually(async () => (await inflight()) === 0);
  }, 20_000);

  it('fails over after 5 s when it trickles under every bound', async () => {
    await failsOverToGood('error-body-trickle', 15_000);
  }, 20_000);
});

describe('a backend that answers 1xx and nothing else', () => {
  it('times out at timeouts.firstByte and fails over (undici restarted its timer at each 1xx)', async () => {
    await failsOverToGood('processing', 10_000);
    const alone = await post('direct', 'processing');
    expect(alone.status).toBe(504);
    expect(JSON.parse(alone.body.toString()).error.code).toBe('upstream_timeout');
  }, 30_000);
});

describe('a reset after the status line', () => {
  it('is not retried on the same backend: the request reached it once', async () => {
    const r = await post('direct', 'reset-after-status');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).error.code).toBe('bad_upstream_response');
    expect(seenBy('reset-after-status')).toBe(1);
  });
});

describe('a response header echoing the gateway key', () => {
  it('is not relayed, and a framing header holding it is scrubbed (the client got the backend key in x-debug-auth)', async () => {
    const r = await post('direct', 'echo-header');
    expect(r.status).toBe(200);
    expect(r.headers['x-debug-auth']).toBeUndefined();
    expect(JSON.stringify(r.headers)).not.toContain(SECRET);
    // Framing is scrubbed, not dropped: the answer still reads as JSON.
    expect(r.headers['content-type']).toMatch(/^application\/json; /);
  });
});

describe('a response header that only looks like configuration', () => {
  it("is relayed: a backend's configured accept header does not make content-type a secret (openai-node read a string)", async () => {
    const r = await post('polite', 'plain');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body.toString()).choices[0].message.content).toBe('ok');
    // `x-portkey-provider` holds "key" but is no credential: its value did not make anthropic-* headers secrets.
    // (Not anthropic-organization-id: the provider account's headers are dropped on purpose, headers.ts.)
    expect(r.headers['anthropic-trace-id']).toBe('trace-1');
  });
});

describe('an error event however it is written', () => {
  it.each(['spaced', 'older', 'typed'])('%s: scrubbed and ends the stream as a cut, with no [DONE]', async (shape) => {
    const r = await post('direct', `error-event-${shape}`, { stream: true });
    const text = r.body.toString();
    expect(text).not.toContain(SECRET);
    expect(text).toContain('Hel');
    const last = JSON.parse(r.events.at(-1)!.data!);
    expect(last.error.code).toBe('upstream_stream_error');
    expect(r.events.some((e) => e.data === '[DONE]')).toBe(false);
  });
});

describe('a stream that talks on after its end marker', () => {
  it('is ended for the client soon after [DONE], and frees the tenant lease', async () => {
    const started = performance.now();
    const rs = await Promise.all([
      post('direct', 'talks-after-done', { stream: true }),
      post('direct', 'talks-after-done', { stream: true }),
    ]);
    for (const r of rs) {
      expect(r.ended).toBe('complete');
      expect(r.events.some((e) => e.data === '[DONE]')).toBe(true);
    }
    // The two leases are back: a third request is admitted at concurrency 2.
    expect((await post('direct', 'plain')).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 20_000);
});

describe('usage chunks in other spellings', () => {
  it('a spaced usage-only chunk the client did not ask for is held back', async () => {
    const r = await post('direct', 'usage-spelled', { stream: true });
    expect(r.events.some((e) => e.data?.includes('"usage"'))).toBe(false);
    expect(r.events.at(-1)!.data).toBe('[DONE]');
  });

  it('a completion count written as a string is no count: the 40 events are the floor', async () => {
    // Its own event, by id: an earlier test's request may settle after this one starts (the last event was once its).
    await post('direct', 'usage-spelled string-counts', { stream: true }, 'usage-string-counts');
    const rec = await gw.requestEvent('usage-string-counts');
    expect(rec.tokens.output).toBeGreaterThanOrEqual(40);
  });
});

describe('a backend count past what the request could use', () => {
  it('is held to max_tokens × n and a context of prompt: the tenant is not locked out for millennia', async () => {
    expect((await post('direct', 'usage-lie', {}, 'usage-lie')).status).toBe(200);
    const rec = await gw.requestEvent('usage-lie');
    expect(rec.tokens.output).toBe(100);
    expect(rec.tokens.input).toBeLessThanOrEqual(2 ** 24);
    // tpm 10^8: the next request still fits (with 10^15 charged it was refused, retry-after 19,000 years).
    expect((await post('direct', 'plain')).status).toBe(200);
  });
});
