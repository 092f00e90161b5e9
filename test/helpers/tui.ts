/** What the TUI tests share: recorded feeds, a backend's figures as /aigw/stats gives them, and a tmux pane read at rest. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { applyEvent, applyStats, asEvent, initialState, type StatsView, type TuiState } from '../../src/tui/model.js';
import { AIGW } from './cli.js';

/** The TUI's state after a recorded admin feed (fixtures/tui/NAME.json: its snapshots, then its events). */
export function fixture(name: string): TuiState {
  const f = JSON.parse(readFileSync(`fixtures/tui/${name}.json`, 'utf8')) as {
    stats: StatsView[];
    events: { id: number; event: Record<string, unknown> }[];
  };
  let s = initialState();
  for (const st of f.stats) s = applyStats(s, st);
  for (const e of f.events) {
    const ev = asEvent(e.event);
    if (ev) s = applyEvent(s, e.id, ev);
  }
  return s;
}

/** One backend of a model in a stats snapshot (fields as src/events/stats-snapshot.ts reads them). */
export const backendStats = (requests: number, over: Record<string, unknown> = {}) => ({
  requests,
  inflight: 0,
  weight: 1,
  expectedShare: 0.5,
  share: 0.5,
  errors: 0,
  ejected: false,
  tokens: { input: 1, output: 1 },
  latencyMs: { p50: 1, p99: 2 },
  ttftMs: { p50: 1, p99: 2 },
  ttftSamples: 1,
  ...over,
});

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * A tmux pane once its frame is whole: Ink rewrites the lines that changed, and a capture taken while it writes
 * shows half a frame (it did, in one CI run: the screen cut after the second panel's border). Two captures a
 * moment apart that agree are a frame at rest.
 */
export function paneAtRest(session: string): string {
  const capture = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
  let last = capture();
  for (let i = 0; i < 20; i++) {
    execFileSync('sleep', ['0.03']);
    const now = capture();
    if (now === last) return now;
    last = now;
  }
  return last;
}

/**
 * `aigw top --admin URL` in a detached tmux session of `width` × `height`. Ink renders only a final frame when
 * CI is set (as in CI runs): a person at a terminal has no CI, so it is unset.
 */
export function topInTmux(session: string, admin: string, width: number, height: number): void {
  execFileSync('tmux', [
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    String(width),
    '-y',
    String(height),
    `env -u CI ${process.execPath} ${AIGW} top --admin ${admin}`,
  ]);
}
