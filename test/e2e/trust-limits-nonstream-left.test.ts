/**
 * A non-streamed answer is generated whole before its head (vLLM, OpenAI, llama.cpp answer once the generation is
 * over): a client that reads its head and leaves the body half-read has had the whole generation done for it. Charged
 * for the bytes that came before it left, a tenant of 100,000 tpm had 90,000 tokens generated and paid 13,093 — and
 * sent the next such request in the same minute. It pays at least what it reserved, as an answer cut for the buffer does.
 */
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const PROFILE = `
version: 1
backends:
  up: { url: "{{UP}}" }
models:
  m: { targets: [{ backend: up }] }
tenants:
  t: { keys: [k], limits: { tpm: 100000 } }
`;

/** 90,000 tokens of content ("word " a token), then its usage: the whole answer a backend generated. */
const CONTENT = 'word '.repeat(90_000);
const HEAD = '{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"';
const TAIL = '"},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":90000,"total_tokens":90008}}';

describe('a non-streamed answer its client left half-read', () => {
  it('is charged at least what it reserved, not the bytes that came before the client left', async () => {
    let n = 0;
    const up = await useUpstream((_req, res) => {
      n++;
      const body = `${HEAD}${CONTENT}${TAIL}`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      // The first 64 KiB now; the rest is still on its way when the client leaves (never written: the gateway lets go).
      res.write(body.slice(0, 64 * 1024));
    });
    const g = await gatewayFor(PROFILE, { UP: up.url });
    try {
      const ask = { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 90_000 };
      const left = await rawPost(`${g.url}/v1/chat/completions`, ask, { headers: { authorization: 'Bearer k' }, abortAfterChunks: 1 });
      expect(left.status).toBe(200);
      expect(left.ended).toBe('aborted');
      await eventually(() => g.eventsOf('request').some((e) => e.clientAborted));
      const charged = g.eventsOf('request').find((e) => e.clientAborted)!;
      // What it reserved: 90,000 tokens of output and its prompt's estimate.
      expect(charged.tokens.input + charged.tokens.output + (charged.unmeteredCharge?.tokens ?? 0)).toBeGreaterThanOrEqual(90_000);
      // The tenant's minute holds it: another 50,000 do not fit beside it (they did, beside the 13,093 charged).
      const next = await rawPost(
        `${g.url}/v1/chat/completions`,
        { ...ask, max_tokens: 50_000 },
        { headers: { authorization: 'Bearer k' } },
      );
      expect(next.status).toBe(429);
      expect(n).toBe(1);
    } finally {
      await g.close();
    }
  });
});
