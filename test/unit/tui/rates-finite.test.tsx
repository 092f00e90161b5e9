/**
 * Rates from a listener whose figures are finite but whose sums are not: counts near Number.MAX_VALUE (a hostile or
 * broken listener; each passes the schema's finite check) add up to Infinity, and Infinity − Infinity is NaN. One NaN
 * point blanked the whole sparkline (its scale became NaN) for the 60 snapshots it stayed in the history, and the
 * figure beside it read `NaN` (Infinity read `InfinityM`). Such a point is not a rate: it is left out.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { sparkline } from '../../../src/tui/components.js';
import { applyStats, initialState, type StatsView } from '../../../src/tui/model.js';
import { backendStats } from '../../helpers/tui.js';

const snapshot = (ts: number, requests: number, tokens: number) =>
  ({
    ts,
    windowMs: 60_000,
    inflight: 0,
    models: { m: { requests, backends: { a: backendStats(requests, { tokens: { input: tokens, output: tokens } }) } } },
    tenants: {},
    refusals: [],
    truncations: [],
  }) as unknown as StatsView;

describe('rates from figures whose sums overflow', () => {
  it('leave the point out, and the sparkline and figures as they were', () => {
    let s = initialState();
    s = applyStats(s, snapshot(1000, 10, 10));
    s = applyStats(s, snapshot(2000, 20, 20));
    s = applyStats(s, snapshot(3000, 30, 1e308));
    s = applyStats(s, snapshot(4000, 40, 1e308));
    s = applyStats(s, snapshot(5000, 50, 50));
    for (const xs of [s.rps, s.tps, s.refusedRate]) for (const x of xs) expect(Number.isFinite(x)).toBe(true);
    expect(s.rps).toEqual([10, 10, 10, 10]);
    expect(sparkline(s.tps, 10).length).toBe(s.tps.length);
    const r = render(<App initial={s} width={120} />);
    const frame = r.lastFrame() ?? '';
    r.unmount();
    expect(frame).not.toMatch(/NaN|Infinity/);
  });
});
