/**
 * A backend's prompt count is capped at what the request could hold (prompt-bound.ts) — unless the request names
 * something the backend itself expands into the prompt, which no reading of its bytes bounds. Two fields do that
 * without a part `type` the bound would refuse to bound:
 * - Anthropic's MCP connector: `mcp_servers` entries (typed "url", as an image's source is) make Anthropic fetch the
 *   server's tool definitions and feed its tools' results to the model, all counted as input tokens;
 * - vLLM's request `chat_template`: a Jinja template the client writes, rendered into the prompt (a loop writes any
 *   length).
 * Both were capped at twice the body's bytes and a 4,096-token preamble: a 300-byte request whose backend processed
 * 150,000 input tokens was charged ~4,700 of a tenant's tpm and budget.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-expanding-fields';
const CLAIMED = 150_000;

const up = await useUpstream((req, res, body) => {
  const claimed = /claim-(\d+)/.exec(body)?.[1];
  const input = claimed ? Number(claimed) : 1;
  res.writeHead(200, { 'content-type': 'application/json' });
  if (req.url!.endsWith('/v1/messages')) return res.end(anthropicTextMessage('ok', { input_tokens: input, output_tokens: 1 }));
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: input, completion_tokens: 1, total_tokens: input + 1 },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  an: { url: "{{u}}", kind: anthropic }
  oa: { url: "{{u}}" }
models:
  claude: { targets: [{ backend: an }] }
  gpt: { targets: [{ backend: oa }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
`,
  { u: up.url },
);

async function chargedInput(path: string, body: unknown, id: string, headers: Record<string, string> = {}): Promise<number> {
  const r = await rawPost(`${gw.url}${path}`, body, {
    headers: { authorization: `Bearer ${KEY}`, 'x-request-id': id, ...headers },
  });
  expect(r.status).toBe(200);
  return (await gw.requestEvent(id)).tokens.input;
}

const MCP = { type: 'url', url: 'https://mcp.example.invalid/sse', name: 'docs' };
const anthropicBody = (extra: Record<string, unknown>) => ({
  model: 'claude',
  max_tokens: 16,
  messages: [{ role: 'user', content: `claim-${CLAIMED} use the docs tools` }],
  ...extra,
});
const chatBody = (extra: Record<string, unknown>) => ({
  model: 'gpt',
  max_tokens: 16,
  messages: [{ role: 'user', content: `claim-${CLAIMED}` }],
  ...extra,
});

describe('a prompt the backend expands from what the request names is charged as reported', () => {
  it("Anthropic's mcp_servers: the remote server's tools and results are the backend's input", async () => {
    const input = await chargedInput('/v1/messages', anthropicBody({ mcp_servers: [MCP] }), 'expand-mcp', {
      'anthropic-beta': 'mcp-client-2025-04-04',
    });
    expect(input).toBe(CLAIMED);
  });

  it("vLLM's chat_template: the client's template is rendered into the prompt", async () => {
    const template = '{% for i in range(30000) %}lorem ipsum {% endfor %}{{ messages[0].content }}';
    expect(await chargedInput('/v1/chat/completions', chatBody({ chat_template: template }), 'expand-template')).toBe(CLAIMED);
  });

  it('without either, the same claim is still capped at what the bytes hold', async () => {
    expect(await chargedInput('/v1/messages', anthropicBody({}), 'expand-none-an')).toBeLessThan(10_000);
    expect(await chargedInput('/v1/chat/completions', chatBody({}), 'expand-none-oa')).toBeLessThan(10_000);
    // Present but empty or null: nothing is expanded.
    expect(await chargedInput('/v1/messages', anthropicBody({ mcp_servers: [] }), 'expand-empty-an')).toBeLessThan(10_000);
    expect(await chargedInput('/v1/chat/completions', chatBody({ chat_template: null }), 'expand-null-oa')).toBeLessThan(10_000);
  });
});
