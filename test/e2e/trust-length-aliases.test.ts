/**
 * What a request may generate is read from every field a backend reads it from. llama.cpp's server — an
 * OpenAI-compatible backend (kind openai) — takes `n_predict` over `max_tokens` ("if n_predict is present, we
 * overwrite the value specified earlier by max_tokens", oaicompat_*_params_parse), and `n_cmpl` over `n` (n is its
 * alias). The gateway read max_tokens and n alone: a request of max_tokens 1 and n_predict 4,000 was reserved 1
 * output token and charged 1 (its usage capped at max_tokens × n), while the backend generated 4,000; n_cmpl 4
 * generated four answers charged as one. Here the scripted backend answers as llama.cpp counts.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-length-aliases';

const up = await useUpstream((_req, res, body) => {
  const b = JSON.parse(body) as Record<string, number | undefined>;
  // As llama.cpp reads them: n_predict wins over max_tokens, n_cmpl over n.
  const perAnswer = b.n_predict ?? b.max_tokens ?? 16;
  const answers = b.n_cmpl ?? b.n ?? 1;
  const completion = perAnswer * answers;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: Array.from({ length: answers }, (_, index) => ({
        index,
        message: { role: 'assistant', content: 'ok' },
        finish_reason: 'length',
      })),
      usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: completion + 10 },
    }),
  );
});

// vLLM reads neither n_predict nor n_cmpl: without max_tokens it generates to its context (here 3,000 tokens).
const vllm = await useUpstream((_req, res, body) => {
  const b = JSON.parse(body) as Record<string, number | undefined>;
  const completion = b.max_completion_tokens ?? b.max_tokens ?? 3000;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: completion + 10 },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  lc: { url: "{{u}}" }
  vl: { url: "{{v}}" }
models:
  local: { targets: [{ backend: lc }] }
  big: { targets: [{ backend: vl }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
  small: { keys: ["${KEY}-small"], limits: { tpm: 2000 } }
`,
  { u: up.url, v: vllm.url },
);

const ask = (extra: Record<string, unknown>, id: string, key = KEY) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'local', messages: [{ role: 'user', content: 'write' }], ...extra },
    { headers: { authorization: `Bearer ${key}`, 'x-request-id': id } },
  );

async function chargedOutput(extra: Record<string, unknown>, id: string): Promise<number> {
  const r = await ask(extra, id);
  expect(r.status).toBe(200);
  return (await gw.requestEvent(id)).tokens.output;
}

describe("a generation's length read from every field a backend obeys", () => {
  it('n_predict beside max_tokens: the 4,000 tokens the backend generated are charged, not max_tokens 1', async () => {
    expect(await chargedOutput({ max_tokens: 1, n_predict: 4000 }, 'alias-n-predict')).toBe(4000);
  });

  it('n_cmpl: four answers are charged as four', async () => {
    expect(await chargedOutput({ max_tokens: 100, n_cmpl: 4 }, 'alias-n-cmpl')).toBe(400);
  });

  it("a request that could generate more than the tenant's whole tpm is refused before it is sent", async () => {
    const before = up.seen.length;
    const r = await ask({ max_tokens: 1, n_predict: 50_000 }, 'alias-over-bucket', `${KEY}-small`);
    expect(r.status).toBe(429);
    expect(up.seen.length).toBe(before);
  });

  it('an n_predict or n_cmpl that is not a whole number in range is a 400 naming it, and nothing is sent', async () => {
    const before = up.seen.length;
    for (const [field, value] of [
      ['n_predict', -1],
      ['n_predict', 1e9],
      ['n_predict', '5'],
      ['n_cmpl', 0],
      ['n_cmpl', 1.5],
    ] as const) {
      const r = await ask({ max_tokens: 5, [field]: value }, `alias-bad-${field}-${value}`);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body.toString()).error.param).toBe(field);
    }
    expect(up.seen.length).toBe(before);
  });

  it('n_predict without max_tokens bounds nothing: a backend that does not read it is charged what it generated', async () => {
    expect(await chargedOutput({ model: 'big', n_predict: 1 }, 'alias-n-predict-alone')).toBe(3000);
  });

  it('without either, as before: max_tokens and n are what is charged', async () => {
    expect(await chargedOutput({ max_tokens: 7, n: 2 }, 'alias-none')).toBe(14);
  });
});
