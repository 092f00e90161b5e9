/**
 * A backend's prompt count is held to what the request could hold: a figure past it is the backend's error, and
 * charged as reported it kept the tenant at 429 for hours (10^15 tokens for a 2-character prompt, capped at 2^24:
 * ~14 hours of debt at 20,000 tpm). A count within the bound — a vision request's parts cost far more than their
 * bytes — is charged as reported. So is a completion count: to max_tokens, and without it to the context window
 * the target declares.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-bounds';
const answer = (promptTokens: number, completionTokens = 1) =>
  JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });

const backend = await useUpstream((_req, res, body) => {
  const claimed = /claim-(\d+)/.exec(body)?.[1];
  const claimedOut = /claim-out-(\d+)/.exec(body)?.[1];
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(answer(claimed ? Number(claimed) : 1, claimedOut ? Number(claimedOut) : 1));
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
  windowed: { targets: [{ backend: b, contextWindow: 8192 }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 20000 } }
  w: { keys: ["${KEY}-w"], limits: { tpm: 20000 } }
  u: { keys: ["${KEY}-u"] }
`,
  { b: backend.url },
);

const post = (content: unknown, key = KEY) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content }], max_tokens: 5 },
    { headers: { authorization: `Bearer ${key}` } },
  );

describe("a backend's prompt count", () => {
  it('past what the request could hold is capped, noted, and leaves the tenant its limit', async () => {
    const before = gw.eventsOf('request').length;
    expect((await post('claim-999999999999999')).status).toBe(200);
    await eventually(() => gw.eventsOf('request').length > before);
    const e = gw.eventsOf('request').at(-1)!;
    expect(e.tokens.input).toBeLessThan(10_000);
    expect(e.countNote).toContain('capped');
    // At HEAD before the bound: 429, retry-after ≈ 50,000 s.
    expect((await post('claim-1')).status).toBe(200);
  });

  it('for a document the backend fetches (a PDF by URL: no bound in its bytes) is charged as reported', async () => {
    const before = gw.eventsOf('request').length;
    const parts = [
      { type: 'file', file: { file_id: 'file-annual-report' } },
      { type: 'text', text: 'claim-180000 summarise it' },
    ];
    expect((await post(parts, `${KEY}-u`)).status).toBe(200);
    await eventually(() => gw.eventsOf('request').length > before);
    expect(gw.eventsOf('request').at(-1)!.tokens.input).toBe(180_000);
  });

  it('within the bound (three image parts: up to 32,768 tokens each) is charged as reported', async () => {
    const before = gw.eventsOf('request').length;
    const parts = [
      { type: 'text', text: 'claim-15000' },
      ...Array.from({ length: 3 }, () => ({ type: 'image_url', image_url: { url: 'https://example.invalid/x.png' } })),
    ];
    expect((await post(parts, `${KEY}-u`)).status).toBe(200);
    await eventually(() => gw.eventsOf('request').length > before);
    const e = gw.eventsOf('request').at(-1)!;
    expect(e.tokens.input).toBe(15_000);
    expect(e.countNote).toBeUndefined();
  });
});

describe("a backend's completion count, for a request without max_tokens", () => {
  const ask = (content: string) =>
    rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'windowed', messages: [{ role: 'user', content }] },
      { headers: { authorization: `Bearer ${KEY}-w` } },
    );

  it('is held to the context window its target declares: the tenant keeps its limit', async () => {
    const before = gw.eventsOf('request').length;
    expect((await ask('claim-out-999999999999999')).status).toBe(200);
    await eventually(() => gw.eventsOf('request').length > before);
    expect(gw.eventsOf('request').at(-1)!.tokens.output).toBe(8192);
    // Held to 2^24 alone, the debt kept the tenant at 429 for ~14 hours (tpm 20,000).
    expect((await ask('claim-out-1')).status).toBe(200);
  });

  it('within the window is charged as reported', async () => {
    const before = gw.eventsOf('request').length;
    expect((await ask('claim-out-3000')).status).toBe(200);
    await eventually(() => gw.eventsOf('request').length > before);
    expect(gw.eventsOf('request').at(-1)!.tokens.output).toBe(3000);
  });
});
