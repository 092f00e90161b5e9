/**
 * A backend's `retry-after-ms` (Azure OpenAI's, OpenAI's SDKs read it first, and a gateway in front of another — aigw
 * itself — sends it beside a `retry-after` rounded up to whole seconds) is its wait, ahead of `retry-after`: read only
 * as whole seconds, a 200 ms wait was 1 s, past a retryAfterCap of 500 ms, and the backend was not tried again.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useUpstream } from '../helpers/upstream.js';

/** Refuses its first request with 503 and `headers`, then answers. */
const once = (headers: Record<string, string>) =>
  useUpstream((_req, res, _body, n) => {
    if (n > 1) return res.writeHead(200, { 'content-type': 'application/json' }).end(OK);
    res.writeHead(503, { 'content-type': 'application/json', ...headers }).end('{"error":{"message":"busy","type":"server_error"}}');
  });

const [both, bad] = [
  await once({ 'retry-after-ms': '200', 'retry-after': '1' }),
  await once({ 'retry-after-ms': 'soon', 'retry-after': '5' }),
];
const gw = await useGateway(
  `
version: 1
resilience: { attempts: 2, consecutiveFailures: 100, retryAfterCap: 500ms }
backends:
  both: { url: "{{both}}" }
  bad: { url: "{{bad}}" }
models:
  both: { targets: [{ backend: both }] }
  bad: { targets: [{ backend: bad }] }
`,
  { both: both.url, bad: bad.url },
);

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

describe("a backend's retry-after-ms", () => {
  it('is its wait, ahead of a retry-after of whole seconds', async () => {
    const r = await ask('both');
    // Before: 1 s past the 500 ms cap — not tried again, a 502.
    expect(r.status).toBe(200);
    expect(both.seen).toHaveLength(2);
  });

  it('one that is no number is not read: retry-after is', async () => {
    const r = await ask('bad');
    expect(r.status).toBe(502);
    expect(r.headers['retry-after']).toBe('5');
    expect(bad.seen).toHaveLength(1);
  });
});
