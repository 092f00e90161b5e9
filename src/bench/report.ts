/** The bench's outputs: the summary, the --json document (shape documented in the README), and --compare. */
import { cpus } from 'node:os';
import type { Figures } from './context.js';
import type { Verdict } from './assertions.js';

export interface BenchReport {
  version: 1;
  env: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    target: string;
    model: string;
    startedAt: string;
    durationMs: number;
    connections: number;
  };
  scenarios: Record<string, { figures: Figures; lines: string[]; detail?: unknown }>;
  figures: Figures;
  assertions: Verdict[];
}

export function environment(target: string, model: string, durationMs: number, connections: number): BenchReport['env'] {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    target,
    model,
    startedAt: new Date().toISOString(),
    durationMs,
    connections,
  };
}

/** Figures where bigger is better; for every other numeric figure, smaller is better. */
const HIGHER_IS_BETTER = /rps|ratio|fidelity|faithful|conformance|tokensPerSecond|honest|\.p$/;

export function compare(a: BenchReport, b: BenchReport, threshold = 0.1): { lines: string[]; regressions: number } {
  const lines = [`comparing ${a.env.startedAt} (${a.env.target}) → ${b.env.startedAt} (${b.env.target})`];
  let regressions = 0;
  for (const key of Object.keys({ ...a.figures, ...b.figures }).sort()) {
    const x = a.figures[key];
    const y = b.figures[key];
    if (typeof x !== 'number' || typeof y !== 'number') continue;
    const change = x === 0 ? (y === 0 ? 0 : Infinity) : (y - x) / Math.abs(x);
    const worse = HIGHER_IS_BETTER.test(key) ? change < -threshold : change > threshold;
    if (worse) regressions++;
    const shown = Number.isFinite(change) ? `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%` : 'new';
    lines.push(
      `  ${worse ? 'REGRESSION' : '          '} ${key.padEnd(34)} ${String(x).padStart(12)} → ${String(y).padStart(12)}  ${shown}`,
    );
  }
  lines.push(`${regressions} regression${regressions === 1 ? '' : 's'} beyond ${threshold * 100}%`);
  return { lines, regressions };
}
