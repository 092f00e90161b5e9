/**
 * A prefix-cached mock remembers the token ids of texts it has seen (prompt-tokens.ts, a budget of a million ids), so
 * that a conversation pays the tokenizer only for its new turn. Two costs grew with what it remembered, on the mock's
 * loop (the gateway's too under serve --mocks):
 * - every use of a text deleted and re-added it (a strict LRU), and V8's Map keeps a deleted entry in its bucket's
 *   chain until it rehashes: every message's role is such a use, so each lookup of `user` walked one more dead entry
 *   per `user` message seen — a request of ~23,000 short messages (under 1 MB) took 1–3 s, more with each request;
 * - once the budget was full, each new text evicted one entry with a walk from the Map's front, over every hole left
 *   there — up to 13 s a request.
 * Here 24 such requests took 131 s and more; now ~3 s.
 */
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'cached', kind: 'vllm', prefixCache: { blocks: 4096, blockTokens: 16, prefillPerToken: 0 } });

/** Messages of a few characters each, every text new: ~23,000 fit the exact budget (256 KiB, role and text). */
const manyShortTexts = (request: number) =>
  Array.from({ length: 23_000 }, (_, i) => ({ role: 'user', content: `w${request * 100_000 + i}` }));

describe("a prefix-cached mock's remembered token ids", () => {
  it('cost what the first did, however many came before (past a full budget too)', async () => {
    const send = async (request: number) => {
      const t0 = performance.now();
      const r = await postJson(`${mock.url}/v1/chat/completions`, { model: 'm', messages: manyShortTexts(request), max_tokens: 1 });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      return performance.now() - t0;
    };
    const first = await send(0);
    // A million ids of texts of 3–4 ids each (with their entry's unit): the budget is full after ~12 such requests.
    const later: number[] = [];
    for (let i = 1; i < 24; i++) later.push(await send(i));
    const slowest = Math.max(...later.slice(-8));
    expect(slowest, `first ${first.toFixed(0)} ms, later ${later.map((t) => t.toFixed(0)).join(' ')}`).toBeLessThan(
      // Held, the last ones took 1.4–13.5 s each, growing; a loaded machine's swing stays well under this.
      Math.max(6 * first, 3000),
    );
  }, 120_000);
});
