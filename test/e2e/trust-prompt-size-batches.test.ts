/**
 * A completion's `prompt` may be a batch — several strings, or several lists of token ids — and each of its prompts is
 * a sequence of its own in the model's window, as each input of an embedding batch is. `escalate` and `cost` summed
 * them: a batch of eight 400-token prompts was read as one of 3,200, escalated past a 3,000-token bound to the dearer
 * model (and sent by `cost` past every window its prompts fit), though each fits the small model's 600-token window.
 * Its size is now its longest prompt's.
 */
import { describe, expect, it } from 'vitest';
import { servedBy as served, useEscalatingGateway } from '../helpers/escalation.js';

const gw = await useEscalatingGateway('vllm');

const servedBy = (body: unknown) => served(gw, '/v1/completions', body);
const PROMPT = 'a line of the batch. '.repeat(76); // ~1,600 characters: ~400 tokens

describe("a completion batch's size is its longest prompt's", () => {
  it('a batch of eight short prompts stays on the small model', async () => {
    expect(await servedBy({ model: 'chat', max_tokens: 4, prompt: Array(8).fill(PROMPT) })).toBe('cheap');
  });

  it('so does a batch of eight short lists of token ids', async () => {
    expect(await servedBy({ model: 'chat', max_tokens: 4, prompt: Array(8).fill(Array(400).fill(7)) })).toBe('cheap');
  });

  it('a batch whose longest prompt is long escalates', async () => {
    expect(await servedBy({ model: 'chat', max_tokens: 4, prompt: [PROMPT, PROMPT.repeat(10)] })).toBe('big');
  });

  it('one prompt of token ids counts them all', async () => {
    expect(await servedBy({ model: 'chat', max_tokens: 4, prompt: Array(3200).fill(7) })).toBe('big');
  });
});
