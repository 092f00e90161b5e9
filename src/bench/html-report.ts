/**
 * `--html FILE`: one self-contained page (inline CSS and SVG, no script, nothing fetched at view time)
 * drawn from a --json report: latency CDFs and percentiles per scenario, TTFT/ITL histograms, the split
 * with intervals against the weights, tokens admitted per window against the limit, long-answer outcomes
 * by size, the ramp, and the deltas against a baseline. Report files are input like any other: each part
 * is read through a schema and left out (with a note) when it does not fit.
 */
import { z } from 'zod';
import type { BenchReport, Delta } from './report.js';
import { deltas, interruption, unmeasured } from './report.js';
import { wilson } from './stats-math.js';
import { cdfChart, deltaChart, esc, histogram, limitChart, outcomeGrid, rampChart, shareChart } from './svg-charts.js';

/**
 * The most points a chart is drawn from. A live run keeps 400 samples a series (stats-math.ts thin) and a window per
 * limit window; a report file given to --compare may hold anything, and 300,000 samples overflowed the stack of the
 * chart's Math.min(...values) — the page was not written. Past it, that chart is left out.
 */
const CHART_POINTS = 10_000;
const Points = z.array(z.number()).max(CHART_POINTS);
const Samples = z.object({ samples: z.record(z.string(), Points) });
const Dist = z.object({ mean: z.number(), median: z.number(), std: z.number(), p90: z.number(), p95: z.number(), p99: z.number() });
const Metrics = z.object({
  completed: z.number(),
  failed: z.number(),
  request_throughput: z.number(),
  output_throughput: z.number(),
  request_goodput: z.number().nullable().optional(),
  ttft: Dist.nullable(),
  tpot: Dist.nullable(),
  itl: Dist.nullable(),
  e2el: Dist.nullable(),
  notes: z.record(z.string(), z.string()).optional(),
});
const Split = z.object({ counts: z.record(z.string(), z.number()), expected: z.record(z.string(), z.number()).optional() });
const Windows = z.object({ limit: z.number().positive(), windowMs: z.number(), perWindow: Points });
const LongRows = z.array(z.object({ size: z.string(), mode: z.string(), kind: z.string() })).max(CHART_POINTS);
const Ramp = z.object({
  steps: z
    .array(z.object({ rate: z.number(), goodput: z.number() }))
    .min(1)
    .max(CHART_POINTS),
});

const gridCells = (rows: readonly { size: string; mode: string }[]) =>
  new Set(rows.map((r) => r.size)).size * new Set(rows.map((r) => r.mode)).size;

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1400px;color:#111;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:12px 0 4px}
.grid2{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;border:1px solid #eee;padding:8px;border-radius:6px}
figcaption{font-weight:600;margin-bottom:4px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
.ax{stroke:#555}.grid{stroke:#eee}.tick{font-size:11px;fill:#333}.lab{font-size:12px;fill:#555}
.ok{color:#16a34a}.fail{color:#dc2626}.muted{color:#666}pre{background:#f6f6f6;padding:8px;overflow:auto}`;

const fmt = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(x >= 100 ? 0 : 2));

function figure(id: string, caption: string, svgText: string): string {
  return `<figure class="chart" data-chart="${esc(id)}"><figcaption>${esc(caption)}</figcaption>${svgText}</figure>`;
}

function percentileTable(m: z.infer<typeof Metrics>): string {
  const rows = (['ttft', 'tpot', 'itl', 'e2el'] as const).map((k) => {
    const d = m[k];
    if (!d) return `<tr><td>${k}</td><td colspan="6" class="muted">${esc(m.notes?.[k] ?? 'no samples')}</td></tr>`;
    const cells = (['mean', 'median', 'std', 'p90', 'p95', 'p99'] as const).map((s) => `<td>${fmt(d[s])}</td>`);
    return `<tr><td>${k}</td>${cells.join('')}</tr>`;
  });
  const head = '<tr><th>ms</th><th>mean</th><th>median</th><th>std</th><th>p90</th><th>p95</th><th>p99</th></tr>';
  const goodput =
    m.request_goodput === null || m.request_goodput === undefined ? '' : `, goodput under SLO ${fmt(m.request_goodput)} req/s`;
  return (
    `<p>completed ${m.completed}, failed ${m.failed}; ${fmt(m.request_throughput)} req/s, ` +
    `${fmt(m.output_throughput)} output tok/s${goodput}</p>` +
    `<table>${head}${rows.join('')}</table>`
  );
}

function scenarioSection(name: string, s: BenchReport['scenarios'][string]): string {
  const parts: string[] = [`<h2 id="${esc(name)}">${esc(name)}</h2>`];
  const m = Metrics.safeParse(s.metrics);
  if (m.success) parts.push(percentileTable(m.data));
  const charts: string[] = [];
  const samples = Samples.safeParse(s.detail);
  if (samples.success) {
    const series = ['ttft', 'tpot', 'itl', 'e2el']
      .map((k) => ({ name: k, values: samples.data.samples[k] ?? [] }))
      .filter((x) => x.values.length);
    if (series.length) charts.push(figure(`cdf-${name}`, `${name}: latency CDFs`, cdfChart(series, `${name} latency CDF`)));
    for (const k of ['ttft', 'itl'] as const) {
      const v = samples.data.samples[k] ?? [];
      if (v.length)
        charts.push(figure(`hist-${k}-${name}`, `${name}: ${k.toUpperCase()} histogram`, histogram(v, `${name} ${k} histogram`)));
    }
  }
  const split = name === 'split' ? Split.safeParse(s.detail) : undefined;
  if (split?.success) {
    const { counts, expected } = split.data;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const wsum = Object.values(expected ?? {}).reduce((a, b) => a + b, 0);
    const names = [...new Set([...Object.keys(expected ?? {}), ...Object.keys(counts)])];
    const rows = names.map((n) => {
      // Own keys only: the names are the target's, and `constructor` would read Object's function.
      const k = Object.hasOwn(counts, n) ? counts[n]! : 0;
      const [lo, hi] = wilson(k, total);
      const exp = expected && wsum ? (100 * (Object.hasOwn(expected, n) ? expected[n]! : 0)) / wsum : undefined;
      return { name: n, share: total ? (100 * k) / total : 0, lo: 100 * lo, hi: 100 * hi, ...(exp !== undefined ? { expected: exp } : {}) };
    });
    if (rows.length)
      charts.push(figure('split', `split: realized shares of ${total} answers vs weights`, shareChart(rows, 'split shares')));
  }
  const windows = name === 'ratelimit' ? Windows.safeParse(s.detail) : undefined;
  if (windows?.success && windows.data.perWindow.length) {
    const w = windows.data;
    charts.push(
      figure(
        'ratelimit',
        `ratelimit: tokens admitted per ${w.windowMs / 1000}s window vs the limit`,
        limitChart(w.perWindow, w.limit, 'tokens per window', 'window (the last may be partial)'),
      ),
    );
  }
  const long = name === 'long' ? LongRows.safeParse(s.detail) : undefined;
  // The grid has a cell for every size and mode: 2,000 rows of their own size and mode were 4 million cells.
  if (long?.success && long.data.length && gridCells(long.data) <= CHART_POINTS)
    charts.push(figure('long', 'long: outcome by answer size', outcomeGrid(long.data, 'long outcomes')));
  const ramp = name === 'ramp' ? Ramp.safeParse(s.detail) : undefined;
  if (ramp?.success) charts.push(figure('ramp', 'ramp: offered rate vs goodput', rampChart(ramp.data.steps, 'ramp')));
  if (charts.length) parts.push(`<div class="grid2">${charts.join('')}</div>`);
  // Only text: a report file is input too, and join() would call whatever toString a crafted object carries.
  const lines = Array.isArray(s.lines) ? s.lines.filter((l): l is string => typeof l === 'string') : [];
  parts.push(`<pre>${esc(lines.join('\n'))}</pre>`);
  return parts.join('\n');
}

export function renderHtml(report: BenchReport, baseline?: BenchReport): string {
  const env = report.env;
  const title = `aigw bench — ${env.model} at ${env.target}`;
  const verdicts = report.assertions.length
    ? `<ul>${report.assertions.map((a) => `<li class="${a.ok ? 'ok' : 'fail'}">${esc(a.message)}</li>`).join('')}</ul>`
    : '';
  const cut = interruption(report);
  const notices = [...(cut ? [cut] : []), ...(report.notices ?? [])].map((n) => `<li>${esc(n)}</li>`).join('');
  let compareSection = '';
  if (baseline) {
    const ds: Delta[] = deltas(baseline, report);
    // The regressions --compare counts (and exits 1 on): the figures that got worse, and those the baseline measured that
    // this run of their scenario did not. Counted from the deltas alone, the page said "0 regressions" of a comparison
    // the command failed on a `ratelimit.ratio` no longer measured.
    const gone = unmeasured(baseline, report);
    const worse = ds.filter((d) => d.worse).length + gone.length;
    const moved = ds.filter((d) => d.change !== 0).length;
    compareSection =
      `<h2 id="compare">compared with ${esc(baseline.env.startedAt)} (${esc(baseline.env.target)})</h2>` +
      (interruption(baseline) ? `<p>the baseline run was ${esc(interruption(baseline))}</p>` : '') +
      `<p>${worse} regression${worse === 1 ? '' : 's'} beyond 10%; ${moved} of ${ds.length} figures moved ` +
      '(the chart shows regressions first, then the largest changes)</p>' +
      (gone.length ? `<p class="fail">measured before, not measured in this run: ${gone.map(esc).join(', ')}</p>` : '') +
      (ds.length
        ? `<div class="grid2">${figure('compare', 'change per figure (red: regression)', deltaChart(ds, 'compare deltas'))}</div>`
        : '');
  }
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="muted">${esc(env.startedAt)} · node ${esc(env.node)} · ${esc(env.cpus)} × ${esc(env.cpuModel)} · ` +
      `${esc(env.rate ? `open loop ${env.rate} req/s` : `${env.connections} connections`)} · ${esc(env.durationMs / 1000)}s per scenario` +
      `${env.workload ? ` · ${esc(env.workload)}` : ''}${env.slo ? ` · SLO ${esc(env.slo)}` : ''}</p>`,
    notices ? `<ul>${notices}</ul>` : '',
    verdicts,
    ...Object.entries(report.scenarios).map(([n, s]) => scenarioSection(n, s)),
    compareSection,
  ];
  const head = `<meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style>`;
  return `<!doctype html><html lang="en"><head>${head}</head><body>${body.join('\n')}</body></html>\n`;
}
