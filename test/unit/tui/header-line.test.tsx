/**
 * The TUI's header is one line whatever the status says. The status quotes what the admin listener sent — the path
 * of a snapshot's bad field, made of its model's and backend's names (up to 512 characters each) — and, wrapped, it
 * pushed every panel down: the frame outgrew the terminal the layout had shared out (layout.ts), and was redrawn whole.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { initialState } from '../../../src/tui/model.js';
import { statsFrom } from '../../../src/tui/wire.js';

const HEIGHT = 24;

function frame(error: string | undefined, width: number): string[] {
  const r = render(<App initial={{ ...initialState(), connected: false, error }} width={width} height={HEIGHT} />);
  const text = r.lastFrame() ?? '';
  r.unmount();
  return text.split('\n');
}

describe('the header', () => {
  const bad = statsFrom({
    ts: 1,
    windowMs: 60_000,
    inflight: 0,
    models: { ['m'.repeat(600)]: { requests: 1, backends: { ['b'.repeat(600)]: { requests: 'many' } } } },
    tenants: {},
  });

  it('stays one line when the status quotes a snapshot made of long names', () => {
    expect(bad).toMatchObject({ ok: false });
    const problem = (bad as { problem: string }).problem;
    expect(problem.length).toBeGreaterThan(1000);
    for (const width of [80, 120]) {
      const lines = frame(problem, width);
      expect(lines[0], `${width} columns`).toMatch(/aigw top/);
      expect(lines[0]).toMatch(/not \/aigw\/stats/);
      expect(lines[1], `${width} columns: the rates line comes next`).toMatch(/req\/s/);
      expect(lines.length).toBeLessThan(HEIGHT);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
    }
  });

  it('stays one line when a listener cannot be reached, on 80 columns', () => {
    const lines = frame('cannot reach http://127.0.0.1:9901: ECONNREFUSED; retrying', 80);
    expect(lines[0]).toMatch(/aigw top.*cannot reach/);
    expect(lines[1]).toMatch(/req\/s/);
  });
});
