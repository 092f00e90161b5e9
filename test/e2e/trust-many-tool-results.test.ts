/**
 * An Anthropic user message of many tool_result blocks — a client's, within the default limits.maxRequestBytes
 * (8 MiB) — becomes as many turns: one OpenAI tool message each for the translation, one `tool` turn each for the
 * token count. Both were appended with push(...turns), which puts every element on the stack as an argument: past
 * ~120,000 (Node's default stack), RangeError. The client got a 500 "internal error" and stderr a stack trace, on
 * /v1/messages to an OpenAI backend and on /v1/messages/count_tokens, for a request its backend could take.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-many-tool-results';
// 190,000 blocks of 41 bytes: ~7.8 MB, under the default 8 MiB.
const BLOCKS = 190_000;

const up = await useUpstream((_req, res, body) => {
  const tools = (body.match(/"role":"tool"/g) ?? []).length;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      created: 0,
      model: 'gpt',
      choices: [{ index: 0, message: { role: 'assistant', content: `read ${tools}` }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  gpt: { targets: [{ backend: oa }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { u: up.url },
);

const body = (extra: string) =>
  `{"model":"gpt"${extra},"messages":[{"role":"user","content":[${'{"type":"tool_result","tool_use_id":"t"},'.repeat(BLOCKS)}{"type":"text","text":"go on"}]}]}`;

async function post(path: string, text: string) {
  const r = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: text,
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('a user message of 190,000 tool results (under the default body limit)', () => {
  it('is translated for an OpenAI backend: every result reaches it, no 500', async () => {
    const r = await post('/v1/messages', body(',"max_tokens":16'));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(JSON.stringify(r.json.content)).toContain(`read ${BLOCKS}`);
  });

  it('is counted by count_tokens for an OpenAI backend, no 500', async () => {
    const r = await post('/v1/messages/count_tokens', body(''));
    expect(r.status).toBe(200);
    expect(r.json.input_tokens).toBeGreaterThan(BLOCKS);
  });
});
