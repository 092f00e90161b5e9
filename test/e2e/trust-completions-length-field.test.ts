/**
 * The legacy completions API names an answer's length `max_tokens` alone: no completions backend reads
 * `max_completion_tokens` (vLLM's CompletionRequest has max_tokens, 16 when absent; llama.cpp's completion generates to
 * its context without max_tokens or n_predict). The gateway read max_completion_tokens on /v1/completions as it does
 * on chat: `max_completion_tokens: 1` was reserved as a 1-token answer, and went upstream past a tenant's whole tpm.
 * Here the scripted backend answers as llama.cpp reads a completion.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-completions-length';

const up = await useUpstream((_req, res, body) => {
  const b = JSON.parse(body) as Record<string, number | undefined>;
  const completion = b.n_predict ?? b.max_tokens ?? 3000;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'text_completion',
      choices: [{ index: 0, text: 'ok', finish_reason: 'length' }],
      usage: { prompt_tokens: 5, completion_tokens: completion, total_tokens: completion + 5 },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
limits: { defaultCompletionTokens: 3000 }
backends:
  lc: { url: "{{u}}" }
models:
  m: { targets: [{ backend: lc }] }
tenants:
  small: { keys: ["${KEY}"], limits: { tpm: 2000 } }
`,
  { u: up.url },
);

const ask = (extra: Record<string, unknown>, id: string) =>
  rawPost(
    `${gw.url}/v1/completions`,
    { model: 'm', prompt: 'write', ...extra },
    { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': id } },
  );

describe('max_completion_tokens on /v1/completions', () => {
  it('bounds nothing: alone, the request is reserved as one naming no length (3,000 past a 2,000 tpm: refused, nothing sent)', async () => {
    const before = up.seen.length;
    const r = await ask({ max_completion_tokens: 1 }, 'cmpl-mct-alone');
    expect(r.status).toBe(429);
    expect(up.seen.length).toBe(before);
  });

  it('is not a field of the API: a value a chat would refuse goes upstream as it came', async () => {
    const r = await ask({ max_tokens: 5, max_completion_tokens: 'x' }, 'cmpl-mct-unread');
    expect(r.status).toBe(200);
    expect((await gw.requestEvent('cmpl-mct-unread')).tokens.output).toBe(5);
  });
});
