/**
 * A non-streamed answer the backend compressed although aigw asked for identity (nginx's `gzip on` in front of vLLM,
 * a CDN): its usage — the backend's own count, reasoning tokens and prompt template included — is in the coded bytes.
 * It was never read: the settle stage counted the decoded content (2 tokens for 5,000 reported) and the prompt by the
 * tokenizer (10 for 3,000), a tenant's tpm and budget paying a thousandth of what it used.
 */
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const TENANT_KEY = 'sk-tenant-key-coded-usage-1';
// A reasoning model's answer: a few words of content, thousands of tokens generated (and reported).
const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  model: 'm-upstream',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Yes.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3000, completion_tokens: 5000, total_tokens: 8000, prompt_tokens_details: { cached_tokens: 1000 } },
});

const up = await useUpstream((_req, res, body) => {
  const enc = /enc=(\w+)/.exec(body)?.[1] ?? 'identity';
  const coders: Record<string, (b: string) => Buffer> = {
    gzip: (b) => gzipSync(b),
    br: (b) => brotliCompressSync(b),
    deflate: (b) => deflateSync(b),
    // Raw deflate, no zlib wrapper (IIS), which clients read as deflate too.
    rawdeflate: (b) => deflateRawSync(b),
  };
  const bytes = coders[enc]?.(ANSWER) ?? Buffer.from(ANSWER);
  const label = enc === 'rawdeflate' ? 'deflate' : enc;
  res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': label, 'content-length': String(bytes.length) });
  res.end(bytes);
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{up}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: ["${TENANT_KEY}"], limits: { tpm: 1000000 } }
`,
  { up: up.url },
);

const post = (content: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content }], max_tokens: 8000 },
    { headers: { authorization: `Bearer ${TENANT_KEY}`, 'x-request-id': content } },
  );

describe('a compressed non-streamed answer with usage', () => {
  it.each(['identity', 'gzip', 'br', 'deflate', 'rawdeflate'])('%s: charged the usage the backend reported', async (enc) => {
    const r = await post(`enc=${enc}`);
    expect(r.status).toBe(200);
    const ev = await gw.requestEvent(`enc=${enc}`);
    expect([ev.tokens.input, ev.tokens.output]).toEqual([3000, 5000]);
    // The answering model, read where its usage is.
    expect(ev.responseModel).toBe('m-upstream');
  });
});
