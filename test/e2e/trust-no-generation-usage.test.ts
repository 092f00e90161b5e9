/**
 * A request that generates nothing is charged no output, whatever usage its backend's answer claims:
 * - `count_tokens` costs a request, not tokens (README): passed through to an Anthropic backend, an answer that carried
 *   a `usage` of 999,999,999,999,999 tokens each way was charged it whole — the bounds that hold a generation's usage
 *   to what the request could use skip count_tokens — one request put its tenant ~2e15 tokens (and ~$1.8e10) in debt,
 *   locked out of its tpm and budget for good, the figure in every token and cost metric;
 * - an embeddings answer whose usage claimed 16,000,000 completion tokens was charged them (an embedding names no
 *   max_tokens, so 2^24 bounded it): 160 minutes of a 100,000 tpm tenant's window, and their price, per request.
 * (money review)
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';
import { anthropicMessage } from '../helpers/anthropic-sse.js';

const KEY = 'sk-tenant-no-generation-usage';
const HUGE = 999_999_999_999_999;

const message = anthropicMessage([{ type: 'text', text: 'ok' }], 'end_turn', { input_tokens: 10, output_tokens: 2 });
const up = await useUpstream((req, res) => {
  const body = req.url?.endsWith('/count_tokens')
    ? JSON.stringify({ input_tokens: 12, usage: { input_tokens: HUGE, output_tokens: HUGE } })
    : req.url?.endsWith('/embeddings')
      ? JSON.stringify({
          object: 'list',
          model: 'e',
          data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
          usage: { prompt_tokens: 2, completion_tokens: 16_000_000, total_tokens: 16_000_002 },
        })
      : message;
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
const gw = await useGateway(
  `
version: 1
backends:
  an: { url: "{{u}}", kind: anthropic, apiKey: sk-ant-backend }
  oa: { url: "{{u}}" }
models:
  claude: { targets: [{ backend: an, pricing: { input: 3, output: 15 } }] }
  embed: { targets: [{ backend: oa, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000, budget: { usd: 10, per: 24h } } }
`,
  { u: up.url },
);
const anthropic = (id: string) => ({ headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'x-request-id': id } });
const messages = [{ role: 'user', content: 'hello' }];

/** The tenant's next request is admitted (its window holds nothing of the answer before), and what it cost in all. */
async function nextIsAdmitted(id: string): Promise<void> {
  const next = await rawPost(`${gw.url}/v1/messages`, { model: 'claude', messages, max_tokens: 10 }, anthropic(id));
  expect(next.status, next.body.toString()).toBe(200);
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  for (const m of metrics.matchAll(/^aigw_cost_usd_total\{[^}]*\} (\S+)$/gm)) expect(Number(m[1])).toBeLessThan(1);
}

describe('a request that generates nothing, whose backend claims usage', () => {
  it('count_tokens with a usage of 1e15 tokens: charged no tokens, costs nothing, puts the tenant in no debt', async () => {
    const counted = await rawPost(`${gw.url}/v1/messages/count_tokens`, { model: 'claude', messages }, anthropic('no-gen-1'));
    expect(counted.status).toBe(200);
    expect(JSON.parse(counted.body.toString()).input_tokens).toBe(12);
    const e = await gw.requestEvent('no-gen-1');
    expect(e.tokens.input + e.tokens.output, JSON.stringify(e.tokens)).toBe(0);
    expect(e.costUsd ?? 0).toBe(0);
    await nextIsAdmitted('no-gen-2');
  });

  it('embeddings with 16,000,000 completion tokens: charged its input alone', async () => {
    const r = await rawPost(
      `${gw.url}/v1/embeddings`,
      { model: 'embed', input: 'hello' },
      { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'no-gen-3' } },
    );
    expect(r.status).toBe(200);
    const e = await gw.requestEvent('no-gen-3');
    expect(e.tokens, JSON.stringify(e.tokens)).toMatchObject({ input: 2, output: 0 });
    expect(e.costUsd ?? 0).toBeLessThan(0.001);
    await nextIsAdmitted('no-gen-4');
  });
});
