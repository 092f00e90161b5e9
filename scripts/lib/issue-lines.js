// Issue 16's acceptance lines, judged on one bench:overhead run: aigw (with a tenant when it ran) against the bare
// undici proxy, from the same medians the table prints. One run on a shared VM swings by tens of percent between
// rounds (BENCHMARKS.md), so a verdict here is this run's, not the build's; bench:pair gives steadier ratios.
import { plus } from './overhead-report.js';

const MiB = 2 ** 20;
const num = (x) => typeof x === 'number' && Number.isFinite(x);
const ratio = (x) => `${x.toFixed(2)}×`;
const ms = (x) => `${plus(x, 3)} ms`;

/**
 * `{ subject, lines: [{ line, figure, met }] }`, `met` undefined where the run has no figure for it (a target or a
 * mode not run); undefined when aigw or the bare proxy did not run. `m`: the table's medians per target; `mem`: RSS
 * idle and after the rounds; `streams`: runStreams' result by stream count (only counts the direct baseline kept
 * cadence for are judged).
 */
export function issueLines(m, mem, streams) {
  const subject = m['aigw-tenant'] ? 'aigw-tenant' : m.aigw ? 'aigw' : undefined;
  const bare = m.bare;
  if (!subject || !bare) return undefined;
  const a = m[subject];
  const d = m.direct ?? {};
  const lines = [];
  const judge = (line, x, ok, show) => lines.push({ line, figure: num(x) ? show(x) : '–', met: num(x) ? ok(x) : undefined });
  judge('non-streaming requests/s ≥ 1.0× the bare proxy', a.rps / bare.rps, (x) => x >= 1, ratio);
  judge('gateway CPU per request ≤ 1.0× the bare proxy', a.cpuUsPerRequest / bare.cpuUsPerRequest, (x) => x <= 1, ratio);
  judge('saturating streams/s ≥ 1.0× the bare proxy', a.streamsPerS / bare.streamsPerS, (x) => x >= 1, ratio);
  judge(
    'added paced time to first byte ≤ the bare proxy + 0.05 ms',
    a.ttfbMs - d.ttfbMs - (bare.ttfbMs - d.ttfbMs),
    (x) => x <= 0.05,
    (x) => `${ms(x)} over the bare proxy's`,
  );
  const am = mem?.[subject] ?? {};
  const bm = mem?.bare ?? {};
  judge('RSS after the load rounds ≤ 1.25× the bare proxy', am.afterBytes / bm.afterBytes, (x) => x <= 1.25, ratio);
  judge(
    'idle RSS ≤ the bare proxy + 15 MiB',
    (am.idleBytes - bm.idleBytes) / MiB,
    (x) => x <= 15,
    (x) => `${plus(x, 0)} MiB`,
  );
  for (const s of Object.values(streams ?? {})) {
    if (!s.directKeepsCadence) continue;
    const sa = s.medians[subject];
    const sb = s.medians.bare;
    const sd = s.medians.direct;
    if (!sa || !sb || !sd) continue;
    const n = `${s.n.toLocaleString('en-US')} streams`;
    judge(
      `${n}: added delay p99 ≤ 1.2× the bare proxy's`,
      (sa.delayP99 - sd.delayP99) / (sb.delayP99 - sd.delayP99),
      (x) => x <= 1.2,
      (x) => `${ratio(x)} (${ms(sa.delayP99 - sd.delayP99)} against ${ms(sb.delayP99 - sd.delayP99)})`,
    );
    // Summed over the rounds, not a median: one failed stream in any round misses the line.
    const failed = (s.runs?.[subject] ?? []).reduce((sum, r) => sum + (r.failed ?? 0), 0);
    judge(
      `${n}: no stream failed`,
      failed,
      (x) => x === 0,
      (x) => `${x} failed`,
    );
    judge(`${n}: CPU per chunk ≤ the bare proxy's`, sa.cpuUsPerChunk / sb.cpuUsPerChunk, (x) => x <= 1, ratio);
    judge(`${n}: memory per stream ≤ the bare proxy's`, sa.rssPerStreamKiB / sb.rssPerStreamKiB, (x) => x <= 1, ratio);
  }
  return { subject, lines };
}

/** The verdicts as text, one line each. */
export function formatIssueLines(judged, label) {
  if (!judged) return "issue 16's lines: not judged (needs aigw and the bare proxy in the run)";
  const mark = (met) => (met === undefined ? 'not run' : met ? 'met' : 'NOT MET');
  return [
    `issue 16's lines on this run (${label}, medians of the rounds):`,
    ...judged.lines.map((l) => `  ${mark(l.met).padEnd(8)} ${l.line}: ${l.figure}`),
  ].join('\n');
}
