/** The tokenizer thread, loaded from source: counts exactly, bounds pathological input, never hangs a caller. */
import { afterAll, describe, expect, it } from 'vitest';
import { TokenWorker } from '../../../src/tenants/token-worker.js';

const worker = new TokenWorker({ maxChars: 1024 * 1024, maxMs: 2000 });
afterAll(() => worker.stop());

describe('the token worker', () => {
  it('counts a chat with OpenAI framing', async () => {
    expect(await worker.count('chat', [{ role: 'user', content: 'hello world' }])).toEqual({ tokens: 9, exact: true });
  });
});
