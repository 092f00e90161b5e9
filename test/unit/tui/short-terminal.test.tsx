/**
 * The TUI in a terminal of few rows — 80×24, the default of most terminal emulators and of tmux. A frame as tall as the
 * terminal or taller makes Ink clear the whole screen and the terminal's scrollback (ESC[3J) on every redraw, four a
 * second, and the rows past the bottom push the header (the connection's status) off the top. Each list kept at least
 * two rows, the refusals panel seven and the log three whatever the height: a gateway of three models of three
 * backends, three tenants, three refused tenants and a few events drew 24 rows at 24, one of 50 models 28.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { applyEvent, applyStats, asEvent, initialState, type StatsView, type TuiState } from '../../../src/tui/model.js';
import { backendStats } from '../../helpers/tui.js';

/** A view of `models` models of `backends` backends each, `tenants` tenants, `refused` refused tenants and `events` log lines. */
function view(models: number, backends: number, tenants: number, refused: number, events: number): TuiState {
  const m: Record<string, unknown> = {};
  for (let i = 0; i < models; i++) {
    const b: Record<string, unknown> = {};
    for (let j = 0; j < backends; j++) b[`b${j}`] = backendStats(1);
    m[`m${i}`] = { requests: 1, backends: b };
  }
  const t: Record<string, unknown> = {};
  for (let i = 0; i < tenants; i++) t[`t${i}`] = { tpm: { used: 1, limit: 10 }, rpm: { used: 1, limit: null }, rejected: 0 };
  const refusals = Array.from({ length: refused }, (_, i) => ({ tenant: `t${i}`, status: 400, code: 'x', count: 1 }));
  const stats = { ts: 1, windowMs: 60_000, inflight: 0, models: m, tenants: t, refusals, truncations: [] } as unknown as StatsView;
  let s = applyStats(initialState(), stats);
  for (let i = 0; i < events; i++)
    s = applyEvent(
      s,
      i,
      asEvent({ type: 'truncation', ts: 1000 + i, model: 'm0', backend: 'b0', reason: 'upstream_reset', bytesDelivered: 1 })!,
    );
  return s;
}

const SHAPES: [string, TuiState][] = [
  ['one model, nothing else', view(1, 1, 0, 0, 0)],
  ['three of each', view(3, 3, 3, 3, 3)],
  ['50 models, 30 tenants, 20 refused, 40 events', view(50, 4, 30, 20, 40)],
  ['one model of 40 backends', view(1, 40, 1, 1, 1)],
  ['50 tenants', view(2, 2, 50, 0, 0)],
  ['300 events, 10 refused', view(2, 2, 2, 10, 300)],
];

describe('the TUI in a short terminal', () => {
  for (const [name, state] of SHAPES)
    it(`draws ${name} in fewer rows than the terminal has, from 20 rows up`, () => {
      for (const height of [20, 21, 24, 25, 30, 40, 60]) {
        const r = render(<App initial={state} width={100} height={height} />);
        const lines = (r.lastFrame() ?? '').split('\n');
        r.unmount();
        expect(lines.length, `${height} rows`).toBeLessThan(height);
        expect(lines[0]).toContain('aigw top');
      }
    });
});
