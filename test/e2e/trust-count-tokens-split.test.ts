/**
 * A token count the gateway answers itself (`/v1/messages/count_tokens` for a model none of whose targets speaks
 * Anthropic's API) takes no turn of the model's split: nothing is sent upstream, so nothing is picked. Picked, each
 * count advanced the rotation, and a client counting before each message — as Claude Code does — had every message
 * of a 50/50 split sent to one replica (10 of 10), the other getting only the counts it never saw.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const OK = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const a = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK));
const b = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK));

const headers = { 'anthropic-version': '2023-06-01' };
const messages = [{ role: 'user', content: 'hi' }];

const profile = (model: string) => `
version: 1
backends:
  a: { url: "{{a}}" }
  b: { url: "{{b}}" }
models:
  ${model}
`;

/** `n` rounds of a count then a message; the messages each backend got. */
async function countThenAsk(url: string, n: number): Promise<{ a: number; b: number }> {
  const before = { a: a.seen.length, b: b.seen.length };
  for (let i = 0; i < n; i++) {
    const c = await rawPost(`${url}/v1/messages/count_tokens`, { model: 'm', messages }, { headers });
    expect(c.status).toBe(200);
    expect(JSON.parse(c.body.toString()).input_tokens).toBeGreaterThan(0);
    const r = await rawPost(`${url}/v1/messages`, { model: 'm', max_tokens: 5, messages }, { headers });
    expect(r.status).toBe(200);
  }
  return { a: a.seen.length - before.a, b: b.seen.length - before.b };
}

describe('a token count the gateway answers itself', () => {
  it('leaves a 50/50 split of the messages 50/50', async () => {
    const gw = await useGateway(profile('m: { targets: [{ backend: a }, { backend: b }] }'), { a: a.url, b: b.url });
    // Before: 0 and 10 (nothing of the counts went upstream either way).
    expect(await countThenAsk(gw.url, 10)).toEqual({ a: 5, b: 5 });
  });

  it('leaves a 3:1 canary its share under another strategy (weights hold between groups)', async () => {
    const gw = await useGateway(
      profile('m: { strategy: least-request, targets: [{ backend: a, weight: 3 }, { backend: b, weight: 1 }] }'),
      { a: a.url, b: b.url },
    );
    // Before: 8 and 0 — every canary turn fell to a count.
    expect(await countThenAsk(gw.url, 8)).toEqual({ a: 6, b: 2 });
  });
});
