/**
 * A stream request answered 200 with the backend's error object (`{"error": …}`, as proxies and some servers answer
 * a refusal) after a UTF-8 byte-order mark, as servers writing UTF-8 with a signature (.NET's UTF8Encoding(true))
 * send it: the body's first byte is the mark's, so the stream's first-bytes check (exchange.ts beginStream) did not
 * see the JSON it opens — it was taken for an event stream that never began. A client's own mistake (a prompt too long)
 * was then the backend's unreadable answer: 502 bad_upstream_response, tried on the model's other targets, counted as
 * each one's failure — where the same body without the mark is the client's 400, asked once.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-bom-secret-0000';
const REFUSAL = JSON.stringify({
  error: {
    message: `prompt too long for key ${SECRET}`,
    type: 'invalid_request_error',
    param: 'messages',
    code: 'context_length_exceeded',
  },
});

const up = await useUpstream((_req, res, body) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  if (body.includes('split-bom')) {
    // The mark's bytes in two chunks of their own, before the object.
    res.write(Buffer.from([0xef]));
    res.write(Buffer.from([0xbb]));
    return void setTimeout(() => res.end(Buffer.concat([Buffer.from([0xbf]), Buffer.from(REFUSAL)])), 20);
  }
  res.end((body.includes('with-bom') ? '\uFEFF' : '') + REFUSAL);
});

const gw = await useGateway(
  `
version: 1
backends:
  a: { url: "{{up}}", apiKey: "${SECRET}" }
  b: { url: "{{up}}", apiKey: "${SECRET}" }
models:
  m: { targets: [{ backend: a }, { backend: b }] }
`,
  { up: up.url },
);

const post = (content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', stream: true, messages: [{ role: 'user', content }], max_tokens: 5 });

describe('a stream request answered 200 with an error object', () => {
  it.each(['without-bom', 'with-bom', 'split-bom'])('%s: the client’s 400, scrubbed, the backend asked once', async (how) => {
    const before = up.seen.length;
    const r = await post(how);
    const text = r.body.toString();
    expect(r.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { type: 'invalid_request_error', code: 'context_length_exceeded' } });
    expect(text).not.toContain(SECRET);
    expect(up.seen.length - before).toBe(1);
  });
});
