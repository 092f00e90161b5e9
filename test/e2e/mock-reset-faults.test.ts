/**
 * `POST /mock/reset` makes a mock behave as a freshly started one (README, Mock backends): its random faults too are
 * drawn from their seed again. The draws went on from where they were, so a run repeated after a reset met other
 * faults than the first — the same seed, another sequence.
 */
import { describe, expect, it } from 'vitest';
import { chat, postJson, useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'dice', kind: 'vllm', faults: { rate: 0.5, seed: 7, kinds: ['status:503'] } });

async function statuses(n: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await postJson(`${mock.url}/v1/chat/completions`, chat('x', { max_tokens: 1 }));
    await r.arrayBuffer();
    seen.push(r.status);
  }
  return seen;
}

describe('/mock/reset and the random faults', () => {
  it('draws the same sequence after a reset as after the start', async () => {
    const first = await statuses(32);
    // Both outcomes occur, so an equal sequence after the reset is not one of all 200s or all 503s.
    expect(new Set(first)).toEqual(new Set([200, 503]));
    expect((await fetch(`${mock.url}/mock/reset`, { method: 'POST' })).status).toBe(200);
    expect(await statuses(32)).toEqual(first);
  });
});
