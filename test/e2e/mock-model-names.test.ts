/**
 * A mock that lists no models answers any name a real one could have, not any string: each streamed event
 * repeats the model name, so a megabyte name made every event a megabyte.
 */
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const vllm = await useMock({ name: 'any', kind: 'vllm' });
const tei = await useMock({ name: 'emb', kind: 'tei' });
const messages = [{ role: 'user', content: 'hi' }];

describe('a mock without a model list', () => {
  it('answers a name of 256 characters, and refuses one of 64 KiB in a short 404', async () => {
    const ok = await postJson(`${vllm.url}/v1/chat/completions`, { model: 'm'.repeat(256), messages, max_tokens: 2 });
    expect(ok.status).toBe(200);
    const long = await postJson(`${vllm.url}/v1/chat/completions`, { model: 'm'.repeat(64 * 1024), messages, max_tokens: 2, stream: true });
    expect(long.status).toBe(404);
    expect((await long.text()).length).toBeLessThan(1024);
    const emb = await postJson(`${tei.url}/v1/embeddings`, { model: 'e'.repeat(64 * 1024), input: 'x' });
    expect(emb.status).toBeGreaterThanOrEqual(400);
    expect((await emb.text()).length).toBeLessThan(1024);
  });
});
