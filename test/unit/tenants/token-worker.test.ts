/** The tokenizer thread, loaded from source: counts exactly, bounds pathological input, never hangs a caller. */
import { afterAll, describe, expect, it } from 'vitest';
import { TokenWorker } from '../../../src/tenants/token-worker.js';

const worker = new TokenWorker({ maxChars: 1024 * 1024, maxMs: 2000 });
afterAll(() => worker.stop());

describe('the token worker', () => {
  it('counts a chat with OpenAI framing', async () => {
    expect(await worker.count('chat', [{ role: 'user', content: 'hello world' }])).toEqual({ tokens: 9, exact: true });
  });

  it.each([
    ['a prompt', 'prompt', 'hello world, how are you today?', 8],
    ['special-token text, as ordinary text', 'prompt', '<|endoftext|>', 7],
    ['an answer body', 'completion', JSON.stringify({ choices: [{ message: { content: 'hello world' } }] }), 2],
  ] as const)('counts %s', async (_name, kind, payload, tokens) => {
    expect(await worker.count(kind, payload)).toEqual({ tokens, exact: true });
  });
});
