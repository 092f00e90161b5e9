/**
 * `escalate` and `cost` read a prompt's size from its strings (README), and Anthropic carries text outside any `text`
 * field: a document whose source is plain text or content blocks, and a search result's content. Both were read as
 * media, their text unread: a 42,000-character text document was a prompt of 3 tokens, and a model that escalates
 * prompts over 3,000 tokens to its large-context model sent it to its 600-token window, where a real backend refuses
 * it (a 400 passed through, never failed over) (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  cheap: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-cheap, mock: { kind: anthropic } }
  big: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-big, mock: { kind: anthropic } }
models:
  chat:
    strategy: cost
    targets: [{ backend: cheap, model: small, contextWindow: 600, pricing: { input: 0.1, output: 0.2 } }]
    escalate: [{ when: { promptTokens: ">3000" }, model: chat-large }]
  chat-large:
    targets: [{ backend: big, model: large, pricing: { input: 5, output: 25 } }]
`);

const LONG = 'the manual says this on one of its many pages; '.repeat(900); // ~42,000 characters: ~10,500 tokens

let n = 0;
/** The backend an Anthropic Messages request was sent to, as its event names it. */
async function servedBy(content: unknown[]): Promise<string | undefined> {
  const id = `prompt-size-doc-${++n}`;
  const r = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-request-id': id },
    body: JSON.stringify({ model: 'chat', max_tokens: 4, messages: [{ role: 'user', content }] }),
  });
  await r.arrayBuffer();
  return (await gw.requestEvent(id)).backend;
}

const QUESTION = { type: 'text', text: 'Summarize it.' };

describe("a prompt's documents and search results count toward its size", () => {
  it('a short question stays on the small model', async () => {
    expect(await servedBy([QUESTION])).toBe('cheap');
  });

  it('a plain-text document escalates to the large model', async () => {
    expect(await servedBy([{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: LONG } }, QUESTION])).toBe('big');
  });

  it('a document of content blocks, and a search result, escalate too', async () => {
    const doc = { type: 'document', source: { type: 'content', content: [{ type: 'text', text: LONG }] } };
    expect(await servedBy([doc, QUESTION])).toBe('big');
    const found = {
      type: 'search_result',
      source: 'https://example.test/manual',
      title: 'Manual',
      content: [{ type: 'text', text: LONG }],
    };
    expect(await servedBy([found, QUESTION])).toBe('big');
  });
});
