/**
 * A backend's usage count of 0 beside a prompt or an answer of thousands of tokens is no count (a broken or hostile
 * backend's): the settle stage counts them, as a stream's completion count of 0 after events that carried output was
 * already not taken (relay/exchange.ts recordStreamUsage). Taken as it came, a 0 made the prompt free, streamed or not,
 * and a non-streamed answer's output free — its tokens, its cost at `pricing`, and what the tenant's tpm and budget saw:
 * a tenant on such a backend had only to leave `stream` out for its answers to cost nothing but their prompts.
 */
import { describe, expect, it } from 'vitest';
import { anthropicMessage } from '../helpers/anthropic-sse.js';
import { chatBody, chatStream, useUsageCases } from '../helpers/usage-cases.js';

const KEY = 'sk-tenant-usage-zero-counts';
/** ~2,000 tokens of answer, or of prompt (o200k: one a word). */
const WORDS = 'word '.repeat(2000);

interface Case {
  name: string;
  /** The API the client speaks. */
  api: 'openai' | 'anthropic';
  /** The public model: gpt's backend speaks OpenAI's API, claude's Anthropic's. */
  model: 'gpt' | 'claude';
  stream: boolean;
  /** The prompt is ~2,000 tokens (the prompt's count is checked), else the answer is (its output is). */
  longPrompt: boolean;
  answer: string;
}

const CASES: Case[] = [
  {
    name: 'OpenAI answer, completion_tokens 0',
    api: 'openai',
    model: 'gpt',
    stream: false,
    longPrompt: false,
    answer: chatBody(WORDS, { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 }),
  },
  {
    name: 'Anthropic Message passed through, output_tokens 0',
    api: 'anthropic',
    model: 'claude',
    stream: false,
    longPrompt: false,
    answer: anthropicMessage([{ type: 'text', text: WORDS }], 'end_turn', { input_tokens: 5, output_tokens: 0 }),
  },
  {
    name: 'Anthropic Message translated for an OpenAI client, output_tokens 0',
    api: 'openai',
    model: 'claude',
    stream: false,
    longPrompt: false,
    answer: anthropicMessage([{ type: 'text', text: WORDS }], 'end_turn', { input_tokens: 5, output_tokens: 0 }),
  },
  {
    name: 'OpenAI answer, prompt_tokens 0',
    api: 'openai',
    model: 'gpt',
    stream: false,
    longPrompt: true,
    answer: chatBody('ok ok ok', { prompt_tokens: 0, completion_tokens: 3, total_tokens: 3 }),
  },
  {
    name: 'OpenAI stream, prompt_tokens 0',
    api: 'openai',
    model: 'gpt',
    stream: true,
    longPrompt: true,
    answer: chatStream({ prompt_tokens: 0, completion_tokens: 3, total_tokens: 3 }),
  },
  {
    name: 'Anthropic Message passed through, input_tokens 0',
    api: 'anthropic',
    model: 'claude',
    stream: false,
    longPrompt: true,
    answer: anthropicMessage([{ type: 'text', text: 'ok ok ok' }], 'end_turn', { input_tokens: 0, output_tokens: 3 }),
  },
];

const { gw, ask } = await useUsageCases(KEY, CASES);

describe('a backend usage count of 0 beside ~2,000 tokens of prompt or answer', () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: counted, not charged 0', async (_name, i) => {
    const { api, model, stream, longPrompt } = CASES[i]!;
    const id = `usage-zero-${i}`;
    const messages = [{ role: 'user', content: `case:${i} ${longPrompt ? WORDS : 'hi'}` }];
    const r = await ask(api, { model, messages, max_tokens: 4000, stream }, id);
    expect(r.status).toBe(200);
    const e = await gw.requestEvent(id);
    const counted = longPrompt ? e.tokens.input : e.tokens.output;
    expect(counted, JSON.stringify(e.tokens)).toBeGreaterThanOrEqual(1500);
    // The other count the backend gave stands.
    expect(longPrompt ? e.tokens.output : e.tokens.input).toBe(longPrompt ? 3 : 5);
    // ~2,000 tokens at $1 per million.
    expect(e.costUsd ?? 0).toBeGreaterThan(0.0015);
  });
});
