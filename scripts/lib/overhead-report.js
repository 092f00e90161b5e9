// bench:overhead's tables: the issue 16 table (one column per target, ratios against the bare undici proxy or
// the direct path) and one concurrent-streams table per stream count, as Markdown ready for BENCHMARKS.md.
import { median } from './stats.js';

const num = (x) => x !== undefined && Number.isFinite(x);
const fix = (x, d) => (num(x) ? x.toFixed(d) : '–');
/** A signed figure (`+0.125`, `−0.005`), `–` when there is none. */
export const plus = (x, d) => (num(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}` : '–');
const int = (x) => (num(x) ? Math.round(x).toLocaleString('en-US') : '–');
const mib = (b) => (num(b) ? (b / 2 ** 20).toFixed(0) : '–');

/** Medians over rounds of every numeric figure a round recorded. */
export function mediansOf(rounds) {
  const keys = new Set(rounds.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...keys].map((k) => [k, median(rounds.map((r) => r[k]).filter((v) => typeof v === 'number'))]));
}

/**
 * The issue's table. `m[name]` are a target's medians, `mem[name]` its RSS idle and after the rounds, `large[name]`
 * (optional) what large-answers.js measured.
 */
export function overheadTable(targets, m, mem, connections, large) {
  const base = targets.some((t) => t.name === 'bare') ? 'bare' : 'direct';
  const baseLabel = base === 'bare' ? 'the bare undici proxy' : 'direct';
  const d = m.direct ?? {};
  const cell = {
    rps: (t) => `${int(m[t].rps)} (${t === base ? '1' : `${fix(m[t].rps / m[base].rps, 2)}×`})`,
    cpu: (t) => (t === 'direct' ? '–' : `${int(m[t].cpuUsPerRequest)} µs`),
    lat: (t) => (t === 'direct' ? `${fix(d.lat1P50, 3)} ms` : `${plus(m[t].lat1P50 - d.lat1P50, 3)} ms`),
    sat: (t) => `${t === 'direct' ? '1' : `${fix(m[t].streamsPerS / d.streamsPerS, 2)}×`} (${int(m[t].streamsPerS)}/s)`,
    satCpu: (t) => (t === 'direct' ? '–' : `${int(m[t].cpuUsPerStream)} µs`),
    ttfb: (t) => (t === 'direct' ? `${fix(d.ttfbMs, 3)} ms` : `${plus(m[t].ttfbMs - d.ttfbMs, 3)} ms`),
    b2b: (t) => (t === 'direct' ? `${fix(d.ttfbB2bMs, 3)} ms` : `${plus(m[t].ttfbB2bMs - d.ttfbB2bMs, 3)} ms`),
    rss: (t) => (mem[t] ? `${mib(mem[t].idleBytes)} → ${mib(mem[t].afterBytes)} MiB` : '–'),
    settled: (t) => (mem[t]?.idleSettledBytes ? `${mib(mem[t].idleSettledBytes)} → ${mib(mem[t].afterSettledBytes ?? 0)} MiB` : '–'),
    errors: (t) => int(m[t].failedTotal),
    large: (t) => {
      const l = large?.[t];
      if (!l) return '–';
      const cut = l.incomplete ? ` (${l.incomplete} of ${l.answers} INCOMPLETE)` : '';
      return `${t === 'direct' ? '–' : `+${fix(l.rssGrowthMiB, 0)} MiB`}${cut}`;
    },
  };
  const rows = [
    [`non-streaming RPS, ${connections} connections (× ${baseLabel})`, cell.rps],
    ['gateway CPU per request', cell.cpu],
    ['added p50 at 1 connection (direct: its p50)', cell.lat],
    ['saturating streams/s, 21 chunks each (× direct)', cell.sat],
    ['gateway CPU per saturating stream', cell.satCpu],
    ['added time to first byte, paced streams (direct: its TTFB)', cell.ttfb],
    ...(Object.values(m).some((x) => num(x.ttfbB2bMs)) ? [['the same, streams back to back', cell.b2b]] : []),
    ['RSS idle → after the load rounds', cell.rss],
    ...(Object.values(mem).some((x) => x.idleSettledBytes) ? [["the same, settled (after V8's memory reducer ran)", cell.settled]] : []),
    ['failed requests or streams (all rounds)', cell.errors],
  ];
  if (large) {
    const mb = fix(large.direct?.answerMiB, 0);
    rows.push([`RSS growth: 10 clients × 2 sequential ${mb} MiB answers`, cell.large]);
  }
  return {
    columns: targets.map((t) => t.label),
    rows: rows.map(([row, f]) => ({ row, cells: Object.fromEntries(targets.map((t) => [t.name, f(t.name)])) })),
  };
}

/** One stream count's table; `m[name]` are medians of that target's runs (streams-mode.js figures). */
export function streamsTable(targets, m, n, intervalMs, seconds, promptKiB = 0, promptScript = 'latin') {
  const d = m.direct;
  const three = (x, sub) =>
    sub
      ? `${plus(x.delayP50 - sub.delayP50, 1)} / ${plus(x.delayP99 - sub.delayP99, 1)} / ${plus(x.delayMax - sub.delayMax, 1)} ms`
      : `${fix(x.delayP50, 1)} / ${fix(x.delayP99, 1)} / ${fix(x.delayMax, 1)} ms`;
  const has = targets.filter((t) => m[t.name]);
  const rows = [
    ['added chunk delay p50 / p99 / max (direct: its own)', (t) => three(m[t], t === 'direct' ? undefined : d)],
    ['time to first chunk p99', (t) => `${fix(m[t].ttfcP99, 1)} ms`],
    ['streams failed', (t) => `${int(m[t].failed)} of ${n}`],
    ['memory per stream (RSS peak − before its first streams, ÷ N)', (t) => (t === 'direct' ? '–' : `${fix(m[t].rssPerStreamKiB, 1)} KiB`)],
    ['CPU per relayed chunk', (t) => (t === 'direct' ? '–' : `${fix(m[t].cpuUsPerChunk, 1)} µs`)],
    [
      'the same, every stream open (the ramp left out)',
      (t) => (num(m[t].openCpuUsPerChunk) ? `${fix(m[t].openCpuUsPerChunk, 1)} µs` : '–'),
    ],
    ["seconds the gateway's core was ≥ 95 % busy", (t) => (num(m[t].saturatedSeconds) ? `${fix(m[t].saturatedSeconds, 1)} s` : '–')],
    ['event-loop delay p99 / max', (t) => (num(m[t].loopP99) ? `${fix(m[t].loopP99, 1)} / ${fix(m[t].loopMax, 1)} ms` : '–')],
  ];
  return {
    title: `${n} concurrent streams, one chunk per ${intervalMs} ms for ${seconds} s${promptKiB ? `, ${promptKiB} KiB prompts${promptScript === 'latin' ? '' : ` (${promptScript})`}` : ''}`,
    columns: has.map((t) => t.label),
    rows: rows.map(([row, f]) => ({ row, cells: Object.fromEntries(has.map((t) => [t.name, f(t.name)])) })),
  };
}

export function markdown(table, targets) {
  const names = targets.filter((t) => table.columns.includes(t.label)).map((t) => t.name);
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    line(['', ...table.columns]),
    line(['---', ...table.columns.map(() => '---')]),
    ...table.rows.map((r) => line([r.row, ...names.map((n) => r.cells[n])])),
  ].join('\n');
}
