/**
 * A request in flight across a reload that renames what it was served as (a model alias, its backend, its tenant)
 * finishes on the profile it began with (contract §1) — and is counted in /metrics under those names. The label
 * scope was the new profile's alone, so its tokens, spend and status went under `unknown`/`none`: a dashboard summing
 * spend by model or tenant lost every long stream under way at each rename.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, profileFor, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

let held: ServerResponse | undefined;
const upstream = await useUpstream((_req, res) => {
  held = res;
});

const profile = (model: string, backend: string, tenant: string) => `
version: 1
backends:
  ${backend}: { url: "${upstream.url}" }
models:
  ${model}: { targets: [{ backend: ${backend}, model: up, pricing: { input: 1000000, output: 1000000 } }] }
tenants:
  ${tenant}: { keys: ["k-1"] }
`;

const gw = await useGateway(profile('alias-old', 'back-old', 'tenant-old'));

const metrics = async () => (await fetch(`${gw.adminUrl}/metrics`)).text();

describe('a request in flight across a reload that renames its model, backend and tenant', () => {
  it('is counted under the names it was served as, not unknown/none', async () => {
    const answer = rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'alias-old', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 },
      { headers: { authorization: 'Bearer k-1', 'x-request-id': 'across' } },
    );
    await eventually(() => held !== undefined);
    expect((await gw.stack.reload(profileFor(profile('alias-new', 'back-new', 'tenant-new')))).ok).toBe(true);
    // As `aigw serve` tells a reload applied (cli/serve.ts): the admin surface takes the new profile's names then.
    gw.stack.bus.publish({ type: 'reload', ts: Date.now(), ok: true, message: 'SIGHUP: 1 models' });
    held!.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        model: 'up',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
      }),
    );
    expect((await answer).status).toBe(200);
    await gw.requestEvent('across');
    const text = await metrics();
    expect(text).toContain('aigw_requests_total{model="alias-old",backend="back-old",status="200"} 1');
    expect(text).toContain('aigw_cost_usd_total{tenant="tenant-old",model="alias-old",backend="back-old"} 5');
    expect(text).toMatch(/gen_ai_client_token_usage_sum\{[^}]*gen_ai_original_model="alias-old"[^}]*gen_ai_token_type="output"\} 3/);
    expect(text).not.toMatch(/model="unknown"|backend="none"|tenant="unknown"/);
  });
});
