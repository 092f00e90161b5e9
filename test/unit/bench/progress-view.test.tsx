/** The bench's live view: per scenario, elapsed/total, requests/s, goodput, failures by code, p50/p99. */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { LiveFeed } from '../../../src/bench/live.js';
import { View } from '../../../src/bench/progress-view.js';

describe('the live view', () => {
  it('shows the running scenario with its figures, not only its name', () => {
    const live = new LiveFeed();
    live.begin('throughput', 10_000);
    for (let i = 1; i <= 50; i++) live.record({ ok: true, status: 200, e2el: 10 + i });
    live.record({ ok: false, status: 429, code: 'rate_limit_exceeded', e2el: 1 });
    const feed = {
      scenarios: ['throughput', 'stream'],
      current: 'throughput',
      done: 0,
      line: 'throughput: 50 connections',
      startedAt: Date.now(),
      live: () => live.snapshot(),
    };
    const r = render(<View feed={() => feed} />);
    const f = r.lastFrame() ?? '';
    r.unmount();
    expect(f).toMatch(/▶ throughput/);
    expect(f).toMatch(/throughput \d+\.\ds\/10\.0s [\d.]+ req\/s goodput [\d.]+\/s p50 36ms p99 60ms 51 sent/);
    expect(f).toMatch(/429 rate_limit_exceeded ×1/);
  });
});
