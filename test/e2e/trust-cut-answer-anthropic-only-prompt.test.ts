/**
 * An Anthropic client's answer from an Anthropic backend that the client leaves before its usage (a non-streamed
 * Message read in part: Anthropic writes usage last) has its prompt counted in the settle stage, as the chat turns the
 * request's translation to OpenAI's API carries (translate/count-tokens.ts). A request that translation refuses —
 * a `document` block (a PDF, a text file), a server tool (web search), an image in a tool result: everyday requests to
 * an Anthropic backend, which takes them as they are — was counted as no turns at all: 3 tokens. ~4,000 tokens of
 * document, or of system prompt beside a web-search tool, cost 3 input tokens of the tenant's tpm and its budget when
 * the client left before the end. Such a prompt is now charged its estimate (its bytes / 3, what admission reserved
 * for it) (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-anthropic-only-prompt';
/** ~4,000 tokens (o200k: one a word). */
const WORDS = 'word '.repeat(4000);

/** The head and the start of a long Message, then nothing: its usage would come last. */
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(`{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"${'ok '.repeat(100)}`);
});

const gw = await useGateway(
  `
version: 1
backends:
  an: { url: "{{u}}", kind: anthropic, apiKey: sk-ant-backend }
models:
  claude: { targets: [{ backend: an, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
`,
  { u: up.url },
);

const CASES: [string, Record<string, unknown>][] = [
  [
    'a text document',
    {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: WORDS } },
            { type: 'text', text: 'Summarize it.' },
          ],
        },
      ],
    },
  ],
  [
    'a system prompt beside a web-search tool',
    {
      system: WORDS,
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 1 }],
      messages: [{ role: 'user', content: 'What happened today?' }],
    },
  ],
];

describe('an answer left before its usage, to a request only an Anthropic backend takes', () => {
  it.each(CASES.map((c, i) => [c[0], i] as const))('%s: the prompt is charged, not 3 tokens', async (_name, i) => {
    const id = `anthropic-only-prompt-${i}`;
    const r = await rawPost(
      `${gw.url}/v1/messages`,
      { model: 'claude', max_tokens: 4000, ...CASES[i]![1] },
      { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'x-request-id': id }, abortAfterChunks: 1 },
    );
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    const e = await gw.requestEvent(id);
    expect(e.tokens.inputSource, JSON.stringify(e.tokens)).not.toBe('usage');
    expect(e.tokens.input, JSON.stringify(e.tokens)).toBeGreaterThanOrEqual(3500);
    // Its cost is the prompt's too: ~4,000 tokens at $1 per million, or more.
    expect(e.costUsd ?? 0).toBeGreaterThan(0.0035);
  });
});
