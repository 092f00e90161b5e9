/**
 * A backend's answer speaks of the operator's provider account: its rate-limit headers count what every tenant on
 * the key has left, its organisation and project headers name the account. None reaches a client, streamed or not;
 * the only x-ratelimit-* a client sees are the gateway's own, for the limits it holds that tenant to (an attacker
 * review found the account's passing wherever the tenant's own kind was unset).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const ACCOUNT = {
  'openai-organization': 'org-OPERATORCANARY',
  'openai-project': 'proj_OPERATORCANARY',
  'anthropic-organization-id': 'OPERATORCANARY-ant',
  'x-ratelimit-limit-tokens': '30000000',
  'x-ratelimit-remaining-tokens': '29876543',
  'x-ratelimit-reset-tokens': '3ms',
  'x-ratelimit-limit-requests': '10000',
  'x-ratelimit-remaining-requests': '9876',
  'x-ratelimit-reset-requests': '6ms',
  'anthropic-ratelimit-tokens-remaining': '29876543',
  'anthropic-priority-input-tokens-remaining': '29876543',
  ratelimit: 'limit=30000000, remaining=29876543, reset=1',
  'ratelimit-policy': '30000000;w=60',
  'x-ratelimitbysize-remaining': '29876543',
  'x-backend-extra': 'kept',
};
const CHUNK = {
  id: 'x',
  object: 'chat.completion.chunk',
  model: 'gpt',
  choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: null }],
};

const up = await useUpstream((_req, res, body) => {
  if (JSON.parse(body).stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream', ...ACCOUNT });
    return res.end(`data: ${JSON.stringify(CHUNK)}\n\ndata: [DONE]\n\n`);
  }
  const answer = JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    model: 'gpt',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer), ...ACCOUNT });
  res.end(answer);
});

const gw = await useGateway(
  `
version: 1
backends:
  openai: { url: "{{up}}", apiKey: sk-operator }
models:
  gpt: { targets: [{ backend: openai }] }
tenants:
  rpm-only: { keys: [k-rpm], limits: { rpm: 100 } }
  free: { keys: [k-free] }
`,
  { up: up.url },
);

describe("a backend's account headers never reach a client", () => {
  it.each([
    ['a tenant with rpm only', 'k-rpm', false],
    ['a tenant with rpm only, streamed', 'k-rpm', true],
    ['a tenant without limits', 'k-free', false],
    ['a tenant without limits, streamed', 'k-free', true],
  ])('%s: only the limits the gateway holds it to', async (_name, key, stream) => {
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, stream },
      { headers: { authorization: `Bearer ${key}` } },
    );
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.headers)).not.toContain('OPERATORCANARY');
    expect(JSON.stringify(r.headers)).not.toContain('29876543');
    for (const name of [
      'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-tokens',
      'anthropic-ratelimit-tokens-remaining',
    ])
      expect(r.headers[name]).toBeUndefined();
    if (key === 'k-free') expect(r.headers['x-ratelimit-remaining-requests']).toBeUndefined();
    else {
      // The gateway's: its limit, and what this tenant has left of it (each case here spends one).
      expect(r.headers['x-ratelimit-limit-requests']).toBe('100');
      expect(Number(r.headers['x-ratelimit-remaining-requests'])).toBeGreaterThanOrEqual(96);
    }
    // Other end-to-end headers still pass.
    expect(r.headers['x-backend-extra']).toBe('kept');
  });
});
