/**
 * An Anthropic client's history holding a thinking block the gateway made — an OpenAI backend's reasoning (vLLM's
 * DeepSeek-R1, Qwen3) reaches an Anthropic client as a thinking block signed `""`, there being no signature — sent on
 * to an Anthropic backend: its fallback, or a model the client switched to. Anthropic's API refuses a thinking block it
 * did not sign (400 "messages.N.content.M: Invalid `signature` in `thinking` block"; one without a signature:
 * "signature: Field required"), so every later turn of such a conversation failed there. The gateway leaves out the
 * thinking blocks no signature stands for — Claude drops the thinking of earlier turns from its context anyway — and
 * sends the rest of the body as the client wrote it; a signed block goes as it came. The judge is @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-unsigned-thinking-replay';

/** An OpenAI reasoning backend that answers its first request and is down (503) from then on. */
const reasoner = await useUpstream((_req, res, _body, n) => {
  if (n > 1) {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"down","type":"server_error"}}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'deepseek-r1',
      choices: [{ index: 0, message: { role: 'assistant', reasoning_content: 'two and two', content: 'four' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
    }),
  );
});

/** An Anthropic backend that checks thinking signatures as Anthropic's API does: only `sig-claude` is its own. */
const claude = await useUpstream((_req, res, body) => {
  const sent = JSON.parse(body) as { messages: { role: string; content: unknown }[]; thinking?: { type: string } };
  const messages = sent.messages;
  // With thinking on, Anthropic wants the last assistant turn of a tool loop to open with its thinking.
  const lastAssistant = messages.findLast((m) => m.role === 'assistant');
  const blocks = Array.isArray(lastAssistant?.content) ? (lastAssistant.content as { type: string }[]) : [];
  if (
    sent.thinking !== undefined &&
    sent.thinking.type !== 'disabled' &&
    blocks.some((b) => b.type === 'tool_use') &&
    blocks[0]?.type !== 'thinking' &&
    blocks[0]?.type !== 'redacted_thinking'
  ) {
    const message = `messages.${messages.lastIndexOf(lastAssistant!)}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${blocks[0]?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks).`;
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
    return;
  }
  for (let i = 0; i < messages.length; i++) {
    const content = messages[i]!.content;
    if (!Array.isArray(content)) continue;
    for (let j = 0; j < content.length; j++) {
      const b = content[j] as { type: string; signature?: unknown };
      const problem =
        b.type === 'thinking' && b.signature === undefined
          ? `messages.${i}.content.${j}.thinking.signature: Field required`
          : b.type === 'thinking' && b.signature !== 'sig-claude'
            ? `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`
            : undefined;
      if (problem) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: problem } }));
        return;
      }
    }
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('Sunny.', { input_tokens: 9, output_tokens: 2 }));
});

const gw = await useGateway(
  `
version: 1
backends:
  reasoner: { url: "{{reasoner}}" }
  claude: { url: "{{claude}}", kind: anthropic }
models:
  deep: { targets: [{ backend: reasoner }], fallbacks: [claude] }
  claude: { targets: [{ backend: claude }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { reasoner: reasoner.url, claude: claude.url },
);

const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
const sentBlocks = (i: number) =>
  (JSON.parse(claude.seen[i]!.body) as { messages: { content: unknown }[] }).messages.map((m) =>
    Array.isArray(m.content) ? (m.content as { type: string }[]).map((b) => b.type) : m.content,
  );

describe('a thinking block the gateway made, sent back to an Anthropic backend', () => {
  it("its fallback answers the next turn, where every later turn was Anthropic's 400", async () => {
    const first = await client.messages.create({ model: 'deep', max_tokens: 50, messages: [{ role: 'user', content: 'two and two?' }] });
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const next = await client.messages.create({
      model: 'deep',
      max_tokens: 50,
      messages: [
        { role: 'user', content: 'two and two?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'and the weather?' },
      ],
    });
    expect(next.content).toEqual([{ type: 'text', text: 'Sunny.' }]);
    expect(sentBlocks(claude.seen.length - 1)).toEqual(['two and two?', ['text'], 'and the weather?']);
  });

  it('a turn of unsigned thinking alone is left out; signed thinking and the rest go as the client wrote them', async () => {
    const raw = `{"model":"claude","max_tokens":50,"messages":[
      {"role":"user","content":"héllo 😀"},
      {"role":"assistant","content":[{"type":"thinking","thinking":"hm é"}]},
      {"role":"user","content":"id?"},
      {"role":"assistant","content":[{"type":"thinking","thinking":"ok","signature":"sig-claude"},{"type":"tool_use","id":"t1","name":"f","input":{"id":12345678901234567891}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"done"}]}]}`;
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: raw,
    });
    expect(res.status).toBe(200);
    const sent = claude.seen.at(-1)!.body;
    expect(sentBlocks(claude.seen.length - 1)).toEqual(['héllo 😀', 'id?', ['thinking', 'tool_use'], ['tool_result']]);
    expect(sent).toContain('{"type":"thinking","thinking":"ok","signature":"sig-claude"}');
    expect(sent).toContain('"input":{"id":12345678901234567891}');
    expect(sent).toContain('"model":"claude"');
  });

  it('thinking on, mid tool loop: the loop whose thinking was left out goes with thinking off (Anthropic refused it)', async () => {
    // Claude Code with thinking on: the tool call came from an OpenAI backend (its reasoning signed ""), the result goes
    // to Claude. Without the block the last assistant turn opens with tool_use, which Anthropic refuses while thinking is
    // on ("To avoid this requirement, disable `thinking`").
    const body = (thinking: string) => `{"model":"claude","max_tokens":2000,"thinking":${thinking},"messages":[
      {"role":"user","content":"weather?"},
      {"role":"assistant","content":[{"type":"thinking","thinking":"call it","signature":""},{"type":"tool_use","id":"t1","name":"w","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"sunny"}]}]}`;
    const post = (thinking: string) =>
      fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
        body: body(thinking),
      });
    for (const thinking of ['{"type":"enabled","budget_tokens":1024}', '{"type":"adaptive"}']) {
      const res = await post(thinking);
      expect([res.status, await res.text()]).toEqual([200, expect.stringContaining('Sunny.')]);
      const sent = JSON.parse(claude.seen.at(-1)!.body) as { thinking: unknown };
      expect(sent.thinking).toEqual({ type: 'disabled' });
      expect(sentBlocks(claude.seen.length - 1)).toEqual(['weather?', ['tool_use'], ['tool_result']]);
    }
  });

  it('thinking on, a signed opening kept: thinking stays on as the client wrote it', async () => {
    const raw = `{"model":"claude","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[
      {"role":"user","content":"hi"},
      {"role":"assistant","content":[{"type":"thinking","thinking":"old","signature":""},{"type":"text","text":"hello"}]},
      {"role":"user","content":"weather?"},
      {"role":"assistant","content":[{"type":"thinking","thinking":"call it","signature":"sig-claude"},{"type":"tool_use","id":"t1","name":"w","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"sunny"}]}]}`;
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(claude.seen.at(-1)!.body).toContain('"thinking":{"type":"enabled","budget_tokens":1024}');
  });
});
