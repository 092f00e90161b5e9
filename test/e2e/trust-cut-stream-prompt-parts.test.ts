/**
 * A stream the client leaves before its usage has no count of the prompt from the backend: the settle stage counts it
 * (tenants/admission.ts, in the tokenizer thread). The prompt is what the backend's template renders — the tool
 * definitions (`tools`, the legacy `functions`) and the assistant's earlier tool calls (their names and arguments) with
 * the messages' text — but only the messages' text was counted: a request of ~4,000 tokens of tool definitions, left
 * after its first chunk, was charged ~10 input tokens, and so was its cost and its tenant's tpm. Leaving each stream
 * at its first chunk (the backend has prefilled the whole prompt by then), a tenant had the backend prefill without
 * limit under any tpm: every request's reservation was refunded to nearly nothing (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-cut-stream-prompt';
const TPM_KEY = 'sk-tenant-cut-stream-prompt-tpm';
/** ~4,000 tokens (o200k: one a word). */
const WORDS = 'word '.repeat(4000);

const FIRST_CHUNK = `data: ${JSON.stringify({
  id: 'c',
  object: 'chat.completion.chunk',
  model: 'm',
  choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }],
})}\n\n`;

/** The head and the first chunk, then nothing: the usage would come at the answer's end. */
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(FIRST_CHUNK);
});

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{u}}" }
  az: { url: "{{u}}", kind: azure-openai, apiKey: az-backend-key, apiVersion: 2024-06-01 }
models:
  gpt: { targets: [{ backend: oa, pricing: { input: 1, output: 1 } }] }
  azgpt: { targets: [{ backend: az, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
  small: { keys: ["${TPM_KEY}"], limits: { tpm: 16000 } }
`,
  { u: up.url },
);

const tool = (description: string) => ({
  type: 'function',
  function: { name: 'lookup', description, parameters: { type: 'object', properties: { q: { type: 'string' } } } },
});

const CASES: [string, string, Record<string, unknown>][] = [
  ['tool definitions', 'gpt', { tools: [tool(WORDS)] }],
  ['legacy function definitions', 'gpt', { functions: [tool(WORDS).function] }],
  ['tool definitions, to an Azure backend (the parsed body is counted)', 'azgpt', { tools: [tool(WORDS)] }],
  // vLLM's chat `documents`: retrieval documents its chat template renders into the prompt (Command R, Granite).
  ['RAG documents', 'gpt', { documents: [{ title: 'report', text: WORDS }] }],
  // vLLM updates its template's arguments with chat_template_kwargs: its documents and tools are rendered in their place.
  ['RAG documents given as a chat template argument', 'gpt', { chat_template_kwargs: { documents: [{ title: 'report', text: WORDS }] } }],
  ['tool definitions given as a chat template argument', 'gpt', { chat_template_kwargs: { tools: [tool(WORDS)] } }],
];

/** Sends a stream of `extra` with `messages`, leaves it at its first chunk; the request's event. */
async function leftAtFirstChunk(key: string, id: string, model: string, messages: unknown[], extra: Record<string, unknown>) {
  const r = await rawPost(
    `${gw.url}/v1/chat/completions`,
    { model, messages, max_tokens: 10, stream: true, ...extra },
    { headers: { authorization: `Bearer ${key}`, 'x-request-id': id }, abortAfterChunks: 1 },
  );
  return { r, e: r.status === 200 ? await gw.requestEvent(id) : undefined };
}

describe('a stream left at its first chunk is charged its whole prompt', () => {
  it.each(CASES.map((c, i) => [c[0], i] as const))('%s count as prompt', async (_name, i) => {
    const [, model, extra] = CASES[i]!;
    const { r, e } = await leftAtFirstChunk(KEY, `cut-prompt-${i}`, model, [{ role: 'user', content: 'hi' }], extra);
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    expect(e!.tokens.inputSource, JSON.stringify(e!.tokens)).not.toBe('usage');
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
    // Its cost is the prompt's too: ~4,000 tokens at $1 per million.
    expect(e!.costUsd ?? 0).toBeGreaterThan(0.0035);
  });

  it("the assistant's earlier tool calls count as prompt", async () => {
    const messages = [
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ q: WORDS }) } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'none' },
    ];
    const { r, e } = await leftAtFirstChunk(KEY, 'cut-prompt-calls', 'gpt', messages, { tools: [tool('look it up')] });
    expect(r.status).toBe(200);
    expect(e!.tokens.input, JSON.stringify(e!.tokens)).toBeGreaterThanOrEqual(3500);
  });

  it("holds a tenant's tpm: 16,000 tpm takes three such requests of ~4,000 prompt tokens, not one after another without end", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { r } = await leftAtFirstChunk(TPM_KEY, `cut-prompt-tpm-${i}`, 'gpt', [{ role: 'user', content: 'hi' }], {
        tools: [tool(WORDS)],
      });
      statuses.push(r.status);
      if (r.status !== 200) break;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
  });
});
