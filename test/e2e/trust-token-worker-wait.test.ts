/**
 * A count waits in the tokenizer thread's queue for a bounded time, not for everything queued before it (attacker
 * review). The queue held up to 256 counts, each up to its budget (4 Mi characters or 2 s; ~0.9 s for 4 Mi letters
 * here): a client that sent count_tokens requests of ~4 MB of letters without a space (each still queued after the
 * client left) made every other client's count_tokens — answered from that thread for a backend that does not speak
 * Anthropic's API — wait behind all of them, ~4 minutes, for as long as it kept sending. Every settle that counts (an
 * answer without usage, a stream left early) waited the same. Past the bound a count is estimated, as a full queue's
 * is, and the thread skips what nobody waits for any more.
 */
import { describe, expect, it } from 'vitest';
import type { TokenWorker } from '../../src/tenants/token-worker.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { lettersWithoutSpaces } from '../helpers/letters.js';

const gw = await useGateway(`
version: 1
backends:
  b: { url: "http://127.0.0.1:1" }
models:
  m: { targets: [{ backend: b }] }
`);
const tokens = gw.gateway.state.tokens as TokenWorker;

const countTokens = (content: string) =>
  rawPost(`${gw.url}/v1/messages/count_tokens`, { model: 'm', messages: [{ role: 'user', content }] });

const HOGS = 24;

describe("count_tokens behind another client's slow counts", () => {
  it('is answered within the bound (an estimate), not after every count queued before it', async () => {
    const hogs = Array.from({ length: HOGS }, (_, i) => countTokens(lettersWithoutSpaces(3_800_000, i + 1)));
    // Half the hogs in the thread's queue before the victim asks: at least eleven counts of ~0.9 s ahead of it, ~10 s
    // without the bound. Not all of them: on a loaded machine the last arrive after the first ones' own 4 s bound has
    // passed and the thread has skipped them, so the queue never holds all at once.
    await eventually(() => tokens.queued >= HOGS / 2, 30_000);
    const started = performance.now();
    const mine = await countTokens('hello world');
    const waited = performance.now() - started;
    expect(mine.status).toBe(200);
    expect(JSON.parse(mine.body.toString()).input_tokens).toBeGreaterThan(0);
    // Before: behind twelve or more counts of ~0.9 s each (~10 s and up); the bound is two counts' budget (4 s).
    expect(waited).toBeLessThan(7000);
    for (const r of await Promise.all(hogs)) expect(r.status).toBe(200);
    // The thread skipped what nobody waited for: it counts again at once.
    await eventually(() => tokens.queued === 0, 10_000);
    const again = performance.now();
    expect((await countTokens('hello world')).status).toBe(200);
    expect(performance.now() - again).toBeLessThan(1000);
  }, 60_000);
});
