/**
 * A completions request's `suffix` is prompt: the text after the insertion, which the model reads beside `prompt`
 * (OpenAI's gpt-3.5-turbo-instruct, Ollama's /v1/completions) and its backend bills as prompt tokens. When no usage
 * says what the prompt cost — the client left the stream before its usage chunk, or the backend sends none (an Azure
 * api-version before 2024-09-01 is not asked for it) — the settle stage counts the prompt itself, and it counted
 * `prompt` alone: a stream of prompt "hi" and ~4,000 tokens of suffix, left at its first chunk, was charged 1 input
 * token, its reservation (the body's bytes / 3) refunded. A tenant leaving each stream there had the backend prefill
 * its suffixes without limit under any tpm (endpoints review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-completion-suffix';
const TPM_KEY = 'sk-tenant-completion-suffix-tpm';
/** ~4,000 tokens (o200k: one a word). */
const WORDS = 'word '.repeat(4000);

const chunk = (text: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'text_completion', model: 'm', choices: [{ index: 0, text, finish_reason: null }] })}\n\n`;

/**
 * The head and the first chunk, then nothing (the usage would come at the answer's end) — or, for `whole`, [DONE]
 * without usage; or, with x-test-usage, a whole answer whose usage says that many prompt tokens.
 */
const up = await useUpstream((req, res) => {
  const usage = req.headers['x-test-usage'];
  if (typeof usage === 'string') {
    const prompt_tokens = Number(usage);
    const choices = [{ index: 0, text: 'ok', finish_reason: 'stop' }];
    const answer = {
      id: 'c',
      object: 'text_completion',
      model: 'm',
      choices,
      usage: { prompt_tokens, completion_tokens: 1, total_tokens: prompt_tokens + 1 },
    };
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk('ok'));
  if (req.headers['x-test-whole'] === '1') res.end('data: [DONE]\n\n');
});

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  instruct: { targets: [{ backend: oa, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
  small: { keys: ["${TPM_KEY}"], limits: { tpm: 16000 } }
`,
  { u: up.url },
);

async function completion(key: string, id: string, body: Record<string, unknown>, whole = false) {
  const r = await rawPost(
    `${gw.url}/v1/completions`,
    { model: 'instruct', max_tokens: 10, stream: true, ...body },
    {
      headers: { authorization: `Bearer ${key}`, 'x-request-id': id, ...(whole ? { 'x-test-whole': '1' } : {}) },
      ...(whole ? {} : { abortAfterChunks: 1 }),
    },
  );
  return { r, e: r.status === 200 ? await gw.requestEvent(id) : undefined };
}

describe("a completions request's suffix is counted as prompt", () => {
  it('a stream left at its first chunk: its suffix is charged', async () => {
    const { r, e } = await completion(KEY, 'suffix-left', { prompt: 'hi', suffix: WORDS });
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    expect(e!.tokens.inputSource, JSON.stringify(e!.tokens)).not.toBe('usage');
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
    expect(e!.costUsd ?? 0).toBeGreaterThan(0.0035);
  });

  it('a whole stream without usage: its suffix is charged', async () => {
    const { r, e } = await completion(KEY, 'suffix-whole', { prompt: 'hi', suffix: WORDS }, true);
    expect(r.status).toBe(200);
    expect(r.ended).toBe('complete');
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
  });

  it('each prompt of a batch, and a prompt of token ids, has the suffix after it', async () => {
    const batch = await completion(KEY, 'suffix-batch', { prompt: ['a', 'b', 'c'], suffix: WORDS });
    expect(batch.e!.tokens.input, JSON.stringify(batch.e!.tokens)).toBeGreaterThanOrEqual(3 * 3500);
    const ids = await completion(KEY, 'suffix-ids', { prompt: [1, 2, 3], suffix: WORDS });
    expect(ids.e!.tokens.input, JSON.stringify(ids.e!.tokens)).toBeGreaterThanOrEqual(3500);
    expect(ids.e!.tokens.input, JSON.stringify(ids.e!.tokens)).toBeLessThan(2 * 3500);
  });

  it('without a suffix, the prompt alone (as before)', async () => {
    const { e } = await completion(KEY, 'suffix-none', { prompt: WORDS });
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeLessThan(2 * 3500);
  });

  it("holds a tenant's tpm: 16,000 tpm takes three such requests, not one after another without end", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { r } = await completion(TPM_KEY, `suffix-tpm-${i}`, { prompt: 'hi', suffix: WORDS });
      statuses.push(r.status);
      if (r.status !== 200) break;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
  });

  it("a batch's usage counting the suffix after each prompt is charged as reported, not capped at the body's bytes", async () => {
    // 20 one-letter prompts, each read with the ~4,000-token suffix after it: 80,020 prompt tokens in ~20 KB of body.
    const prompts = Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i));
    const r = await rawPost(
      `${gw.url}/v1/completions`,
      { model: 'instruct', max_tokens: 1, prompt: prompts, suffix: WORDS },
      { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'suffix-batch-usage', 'x-test-usage': '80020' } },
    );
    expect(r.status).toBe(200);
    const e = await gw.requestEvent('suffix-batch-usage');
    expect(e.tokens, JSON.stringify(e)).toMatchObject({ input: 80_020, inputSource: 'usage' });
    expect(e.countNote).toBeUndefined();
    // A claim past even that is still the backend's error.
    const lie = await rawPost(
      `${gw.url}/v1/completions`,
      { model: 'instruct', max_tokens: 1, prompt: prompts, suffix: WORDS },
      { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'suffix-batch-lie', 'x-test-usage': '999999999999' } },
    );
    expect(lie.status).toBe(200);
    expect((await gw.requestEvent('suffix-batch-lie')).tokens.input).toBeLessThan(1_000_000);
  });
});
