/**
 * `ratelimit` against a target that lets a window's worth in and then refuses the key for good (a limiter that never
 * refills): the windows after the first admitted nothing, and the ratio is read over them, not over the one window
 * that admitted something.
 */
import { describe, expect, it } from 'vitest';
import { ratelimit } from '../../../src/bench/ratelimit.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });

describe('ratelimit against a target that locks the key out after its first window', () => {
  it('reads the windows that admitted nothing as 0, so the ratio fails `ratelimit.ratio=1±0.05`', async () => {
    let admitted = 0;
    const up = await useUpstream((_q, res) => {
      // Four answers of 250 tokens: the limit of 1,000 a window, once; then 429 for ever.
      const a =
        admitted < 4
          ? json(200, { choices: [{ message: { content: 'ok' } }], usage: { total_tokens: 250 } })
          : json(429, { error: { message: 'locked out', type: 'tokens', code: 'rate_limit_exceeded' } });
      if (a.status === 200) admitted++;
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
    const r = await ratelimit(
      benchContext(
        { url: up.url, mocks: {} },
        {
          limitedKey: 'k',
          // Windows of 2 s: the four admitted requests are sent as the run starts, and a window of 300 ms was outlasted
          // by a loaded machine's pause between them (one landed in the second window: ratio 0.125, not 0).
          profile: { tenants: { t: { keys: ['k'], limits: { tpm: 1000 } } }, limits: { rateWindow: 2000 } } as never,
          durationMs: 6000,
        },
      ),
    );
    expect(admitted).toBe(4);
    // Three whole windows of 2 s in 6 s: 1000, 0, 0 — the steady ones (after the first) admitted nothing.
    expect(r.figures['ratelimit.ratio']).toBe(0);
    expect(r.figures['ratelimit.admittedPerWindow']).toBe(0);
    expect(r.figures['ratelimit.maxWindowRatio']).toBe(1);
    expect(r.lines[0]).toContain('admitted per window 1000, 0, 0');
    expect((r.detail as { perWindow: number[] }).perWindow.slice(0, 3)).toEqual([1000, 0, 0]);
  });
});
