/**
 * An admin listener with thousands of models (or tenants): the TUI draws what fits the terminal and says how
 * many more there are. Drawn whole, 2,000 models took seconds per frame and `q` waited behind them.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { panelRows } from '../../../src/tui/layout.js';
import { applyStats, initialState, type StatsView } from '../../../src/tui/model.js';
import { PLAIN_ROWS, summaryLines } from '../../../src/tui/plain.js';
import { backendStats } from '../../helpers/tui.js';

function many(models: number, tenants: number): StatsView {
  const s = { ts: 1, windowMs: 60_000, inflight: 0, models: {}, tenants: {}, refusals: [] } as unknown as StatsView;
  for (let i = 0; i < models; i++) s.models[`model-${i}`] = { requests: 2, backends: { a: backendStats(1), b: backendStats(1) } } as never;
  for (let i = 0; i < tenants; i++)
    s.tenants[`tenant-${i}`] = { tpm: { used: 1, limit: 10 }, rpm: { used: 1, limit: 10 }, rejected: 0 } as never;
  return s;
}

function frame(stats: StatsView, height: number): string {
  const r = render(<App initial={applyStats(initialState(), stats)} width={100} height={height} />);
  const text = r.lastFrame() ?? '';
  r.unmount();
  return text;
}

describe('a listener with more models than the terminal has rows', () => {
  it('draws only the rows the terminal has, and says how many models and backends are left out', () => {
    const f = frame(many(2000, 0), 40);
    expect(f.split('\n').length).toBeLessThan(40);
    expect(f).toContain('model-0 ');
    expect(f).not.toContain('model-1999');
    expect(f).toMatch(/…and 19\d\d more models, 39\d\d more backends \(a taller terminal shows more\)/);
    expect(f).toContain('nothing notable yet');
  });

  it('shares the rows between thousands of models and thousands of tenants, on a tall and a small terminal', () => {
    for (const height of [24, 40, 100]) {
      const f = frame(many(3000, 3000), height);
      expect(f.split('\n').length, `${height} rows`).toBeLessThan(height);
      expect(f).toMatch(/more models/);
      expect(f).toMatch(/…and \d+ more tenants/);
    }
    // A few of each fit whole: nothing is said to be left out.
    const f = frame(many(3, 2), 40);
    expect(f).toContain('model-2');
    expect(f).toContain('tenant-1');
    expect(f).not.toContain('more');
  });

  it('gives each list what it needs when the other needs little', () => {
    expect(panelRows(40, many(1, 3000))).toMatchObject({ routing: 3, events: 8 });
    expect(panelRows(40, many(1, 3000)).tenants).toBeGreaterThan(5);
    expect(panelRows(40, many(3000, 1))).toMatchObject({ tenants: 1 });
    expect(panelRows(40, many(3000, 1)).routing).toBeGreaterThan(5);
  });

  it('prints the busiest models and tenants in plain mode, and how many more there are', () => {
    const stats = many(3000, 3000);
    stats.models['model-2999']!.requests = 50;
    stats.tenants['tenant-2999']!.rpm.used = 9;
    const lines = summaryLines(applyStats(initialState(), stats));
    // A gateway of thousands printed every model and tenant every two seconds (6,000 lines a tick).
    expect(lines.length).toBeLessThanOrEqual(1 + 2 * (PLAIN_ROWS + 1));
    expect(lines[1]).toContain('model-2999:');
    expect(
      lines.find((l) => l.includes('tenant ')),
      'the busiest tenant first',
    ).toContain('tenant tenant-2999:');
    expect(lines).toContainEqual(expect.stringMatching(/… 2980 more models$/));
    expect(lines).toContainEqual(expect.stringMatching(/… 2980 more tenants$/));
    expect(summaryLines(applyStats(initialState(), many(3, 2))).join('\n')).not.toContain('more');
  });
});
