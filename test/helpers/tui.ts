/** What the TUI tests share: a backend's figures as /aigw/stats gives them, and a tmux pane read at rest. */
import { execFileSync, spawnSync } from 'node:child_process';
import { AIGW } from './cli.js';

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
