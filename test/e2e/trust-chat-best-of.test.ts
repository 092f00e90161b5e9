/**
 * best_of on chat completions. vLLM's chat request takes it among its sampling parameters (ChatCompletionRequest
 * passes `best_of` to SamplingParams): the engine generates best_of sequences and returns the n best. The gateway
 * read best_of on completions alone, so a chat of max_tokens 500 and best_of 20 was reserved as one answer of 500
 * tokens — past a tenant's whole tpm, it went upstream — and best_of 1,000,000 went upstream unchecked.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { okChatAnswer, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-chat-best-of';

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(okChatAnswer({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 }));
});

const gw = await useGateway(
  `
version: 1
backends:
  vl: { url: "{{u}}" }
models:
  m: { targets: [{ backend: vl }] }
tenants:
  small: { keys: ["${KEY}"], limits: { tpm: 2000 } }
`,
  { u: up.url },
);

const ask = (extra: Record<string, unknown>, id: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: 'write' }], ...extra },
    { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': id } },
  );

describe('best_of on chat completions', () => {
  it('is reserved as the answers it makes: max_tokens 500 × best_of 8 is past a 2,000 tpm, refused before it is sent', async () => {
    const before = up.seen.length;
    const r = await ask({ max_tokens: 500, best_of: 8 }, 'chat-best-of-over');
    expect(r.status).toBe(429);
    expect(up.seen.length).toBe(before);
  });

  it('out of range (past 20, below n, not a whole number) is a 400 naming it, and nothing is sent', async () => {
    const before = up.seen.length;
    for (const [i, extra] of [{ best_of: 1_000_000 }, { best_of: 2, n: 4 }, { best_of: 2.5 }, { best_of: '3' }].entries()) {
      const r = await ask({ max_tokens: 5, ...extra }, `chat-best-of-bad-${i}`);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body.toString()).error.param).toBe('best_of');
    }
    expect(up.seen.length).toBe(before);
  });

  it('within range and within the tpm, it is sent as it came', async () => {
    const r = await ask({ max_tokens: 50, n: 2, best_of: 4 }, 'chat-best-of-ok');
    expect(r.status).toBe(200);
    expect(JSON.parse(up.seen.at(-1)!.body).best_of).toBe(4);
  });
});
