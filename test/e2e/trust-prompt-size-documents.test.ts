/**
 * `escalate` and `cost` read a prompt's size from its strings (README), and Anthropic carries text outside any `text`
 * field: a document whose source is plain text or content blocks, and a search result's content. Both were read as
 * media, their text unread: a 42,000-character text document was a prompt of 3 tokens, and a model that escalates
 * prompts over 3,000 tokens to its large-context model sent it to its 600-token window, where a real backend refuses
 * it (a 400 passed through, never failed over) (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { servedBy as served, useEscalatingGateway } from '../helpers/escalation.js';

const gw = await useEscalatingGateway('anthropic');

const LONG = 'the manual says this on one of its many pages; '.repeat(900); // ~42,000 characters: ~10,500 tokens

/** The backend an Anthropic Messages request was sent to, as its event names it. */
const servedBy = (content: unknown[]) =>
  served(gw, '/v1/messages', { model: 'chat', max_tokens: 4, messages: [{ role: 'user', content }] });

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
