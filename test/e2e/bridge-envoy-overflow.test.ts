/**
 * `onOverflow: envoy` (issue 11, item 3): a buffered answer over maxBytes gets what Envoy AI Gateway sends —
 * Envoy's local reply, 500 text/plain "Internal Server Error" with its length, none of the answer — whether the
 * upstream declared its length or not; answers under the limit and streams pass as before.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const messages = [{ role: 'user', content: 'a long answer please' }];

/** An upstream that answers chunked (no content-length): the overflow is found mid-body, not up front. */
const chunked = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  const piece = `{"pad":"${'x'.repeat(16 * 1024)}"}\n`;
  let n = 0;
  const next = () => {
    if (n++ >= 8) return void res.end();
    res.write(piece, () => setImmediate(next));
  };
  next();
});

const gw = useGateway(
  `
version: 1
limits: { maxRequestBytes: 64Ki, responseBuffer: { mode: buffered, maxBytes: 64Ki, onOverflow: envoy } }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  chunked: { url: "{{chunked}}" }
models:
  m: { targets: [{ backend: vllm }] }
  c: { targets: [{ backend: chunked }] }
`,
  { chunked: chunked.url },
);

function expectEnvoyLocalReply(r: Awaited<ReturnType<typeof rawPost>>) {
  expect(r.status).toBe(500);
  expect(r.ended).toBe('complete');
  expect(r.headers['content-type']).toBe('text/plain');
  expect(r.headers['content-length']).toBe('21');
  expect(r.body.toString()).toBe('Internal Server Error');
}

describe('onOverflow: envoy', () => {
  const cases = [
    { name: 'declared length over the buffer (mock, content-length)', model: 'm', body: { max_tokens: 15_000 } },
    { name: 'chunked answer that outgrows the buffer mid-body', model: 'c', body: {} },
  ];
  it.each(cases)('$name → 500 "Internal Server Error", none of the answer, a truncation event', async ({ model, body }) => {
    const t = await gw;
    const before = t.eventsOf('truncation').length;
    const r = await rawPost(`${t.url}/v1/chat/completions`, { model, messages, ...body });
    expectEnvoyLocalReply(r);
    const cut = t.eventsOf('truncation').slice(before);
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ reason: 'buffer_truncate', bytesDelivered: 0, stream: false });
    // Named in the request's event (what stats' refusals and `top` show), not "unknown".
    await eventually(() => t.eventsOf('request').some((e) => e.requestId === cut[0]!.requestId));
    expect(t.eventsOf('request').find((e) => e.requestId === cut[0]!.requestId)).toMatchObject({
      status: 500,
      errorCode: 'response_too_large',
    });
  });

  it('delivers an answer under the buffer whole, with its length', async () => {
    const t = await gw;
    const r = await rawPost(`${t.url}/v1/chat/completions`, { model: 'm', messages, max_tokens: 50 });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(Number(r.headers['content-length']));
    expect(JSON.parse(r.body.toString()).usage.completion_tokens).toBe(50);
  });

  it('never buffers a stream: 15k tokens stream through a 64Ki buffer', async () => {
    const t = await gw;
    const r = await rawPost(`${t.url}/v1/chat/completions`, { model: 'm', messages, max_tokens: 15_000, stream: true });
    expect(r.status).toBe(200);
    expect(r.ended).toBe('complete');
    expect(r.body.length).toBeGreaterThan(64 * 1024);
    expect(r.events.at(-1)?.data).toBe('[DONE]');
  });

  it('is what the official client sees from the cluster: InternalServerError (500), after its own retries', async () => {
    const t = await gw;
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'none', maxRetries: 1 });
    const err = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'long' }], max_tokens: 15_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(500);
  });

  it('answers 413 to a request body over maxRequestBytes (the same Envoy buffer holds requests)', async () => {
    const t = await gw;
    const r = await rawPost(`${t.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] });
    expect(r.status).toBe(413);
  });
});
