/**
 * Inline SVG charts for the HTML report, drawn in Node (no script, no network at view time): CDF lines,
 * histograms, shares with intervals, bars against a limit, an outcome grid and diverging deltas. Every
 * label is escaped: backend names and figure keys come from the target or from a report file.
 */

export const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const W = 640;
const H = 260;
const M = { l: 56, r: 16, t: 16, b: 40 };
export const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const f1 = (x: number) => x.toFixed(1);

// ---------- elements ----------

function rect(x: number, y: number, w: number, h: number, fill: string, extra = ''): string {
  return `<rect x="${f1(x)}" y="${f1(y)}" width="${f1(Math.max(1, w))}" height="${f1(Math.max(0, h))}" fill="${fill}"${extra}>`;
}
const closed = (el: string) => el.replace(/>$/, '/>');

function text(x: number, y: number, s: unknown, anchor: 'start' | 'middle' | 'end' = 'start', cls = 'tick', extra = ''): string {
  return `<text x="${f1(x)}" y="${f1(y)}" class="${cls}" text-anchor="${anchor}"${extra}>${esc(s)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  return `<line x1="${f1(x1)}" y1="${f1(y1)}" x2="${f1(x2)}" y2="${f1(y2)}" class="${cls}"/>`;
}

const path = (d: string, stroke: string, width = 2, extra = '') =>
  `<path d="${d}" fill="none" stroke="${stroke}" stroke-width="${width}"${extra}/>`;

function svg(body: string, label: string, height = H): string {
  return `<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${esc(label)}">${body}</svg>`;
}

// ---------- axes ----------

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= step0) ?? step0;
  // Counted, not accumulated: where a step is below half the spacing of doubles near lo (samples of 1e17 and the
  // next double, from a report file), `v += step` left v where it was and the loop pushed ticks until the heap gave out.
  const out: number[] = [];
  const first = Math.ceil(lo / step);
  for (let i = 0; i <= 2 * n + 2; i++) {
    const v = (first + i) * step;
    if (!(v <= hi + step * 1e-9)) break;
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

interface Axis {
  x(v: number): number;
  y(v: number): number;
  frame: string;
}

interface AxisSpec {
  x: [number, number];
  y: [number, number];
  xLabel: string;
  yLabel: string;
  log?: boolean;
  height?: number;
  /** false: no numbers under the x axis (the chart labels its own bars). */
  xTicks?: boolean;
}

function axes(s: AxisSpec): Axis {
  const height = s.height ?? H;
  const lx = (v: number) => (s.log ? Math.log10(Math.max(v, 1e-6)) : v);
  const [a, b] = [lx(s.x[0]), lx(s.x[1] === s.x[0] ? s.x[1] + 1 : s.x[1])];
  const [ylo, yhi] = s.y;
  const bottom = height - M.b;
  const x = (v: number) => M.l + ((lx(v) - a) / (b - a)) * (W - M.l - M.r);
  const y = (v: number) => bottom - ((v - ylo) / (yhi - ylo || 1)) * (height - M.t - M.b);
  const xt = s.log ? niceTicks(a, b, 5).map((e) => 10 ** e) : niceTicks(s.x[0], s.x[1]);
  let frame = line(M.l, bottom, W - M.r, bottom, 'ax') + line(M.l, M.t, M.l, bottom, 'ax');
  if (s.xTicks !== false) for (const t of xt) frame += text(x(t), bottom + 14, num(t), 'middle');
  for (const t of niceTicks(ylo, yhi, 4)) frame += line(M.l, y(t), W - M.r, y(t), 'grid') + text(M.l - 6, y(t) + 4, num(t), 'end');
  const midY = (M.t + bottom) / 2;
  frame += text((M.l + W - M.r) / 2, height - 6, s.xLabel, 'middle', 'lab');
  frame += text(12, midY, s.yLabel, 'middle', 'lab', ` transform="rotate(-90 12 ${f1(midY)})"`);
  return { x, y, frame };
}

function legend(names: readonly string[], colors: readonly string[] = COLORS): string {
  return names
    .map((n, i) => closed(rect(M.l + 10 + i * 110, M.t, 10, 10, colors[i % colors.length]!)) + text(M.l + 24 + i * 110, M.t + 9, n))
    .join('');
}

// ---------- charts ----------

/** Cumulative distributions (sorted samples in ms), log x when they span orders of magnitude. */
export function cdfChart(series: readonly { name: string; values: readonly number[] }[], label: string): string {
  const live = series.filter((s) => s.values.length);
  const all = live.flatMap((s) => s.values);
  const lo = Math.max(Math.min(...all), 0.01);
  const hi = Math.max(...all, lo * 1.01);
  const log = hi / lo > 50;
  const ax = axes({ x: [log ? lo : 0, hi], y: [0, 1], xLabel: 'milliseconds', yLabel: 'share of requests', log });
  const paths = live.map((s, i) => {
    const n = s.values.length;
    const d = s.values.map((v, k) => `${k ? 'L' : 'M'}${f1(ax.x(Math.max(v, log ? lo : 0)))},${f1(ax.y((k + 1) / n))}`).join('');
    return path(d, COLORS[i % COLORS.length]!);
  });
  return svg(ax.frame + paths.join('') + legend(live.map((s) => s.name)), label);
}

/** A histogram of samples (ms), 30 bins over [min, p99] with the tail folded into the last. */
export function histogram(values: readonly number[], label: string, color = COLORS[0]!): string {
  const xs = [...values].sort((a, b) => a - b);
  const lo = xs[0] ?? 0;
  const hi = Math.max(xs[Math.floor(0.99 * (xs.length - 1))] ?? lo, lo + 1e-3);
  const bins = new Array<number>(30).fill(0);
  for (const v of xs) bins[Math.min(29, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * 30)))]!++;
  const ax = axes({ x: [lo, hi], y: [0, Math.max(1, ...bins)], xLabel: 'milliseconds', yLabel: 'requests' });
  const bw = (W - M.l - M.r) / 30;
  const rects = bins.map((c, i) => closed(rect(M.l + i * bw + 1, ax.y(c), bw - 2, H - M.b - ax.y(c), color))).join('');
  return svg(ax.frame + rects, label);
}

export interface ShareRow {
  name: string;
  share: number;
  lo: number;
  hi: number;
  expected?: number;
}

/** Realized shares (%) with their 95 % intervals as whiskers, and the expected share as a red tick. */
export function shareChart(rows: readonly ShareRow[], label: string): string {
  const rowH = 34;
  const height = M.t + M.b + rows.length * rowH;
  const x = (v: number) => 150 + (v / 100) * (W - 150 - M.r);
  let body = '';
  rows.forEach((r, i) => {
    const y = M.t + i * rowH;
    body += text(144, y + 18, r.name, 'end');
    body += closed(rect(150, y + 6, x(r.share) - 150, 18, COLORS[0]!, ' opacity="0.8"'));
    const [a, b] = [f1(x(r.lo)), f1(x(r.hi))];
    body += path(`M${a},${y + 15}H${b}M${a},${y + 9}v12M${b},${y + 9}v12`, '#111', 1.5);
    if (r.expected !== undefined) body += path(`M${f1(x(r.expected))},${y + 2}v26`, COLORS[1]!, 3);
    body += text(Math.min(W - 60, x(r.hi) + 6), y + 19, `${r.share.toFixed(2)}%`);
  });
  body += text(150, height - 10, 'bar: realized share, whiskers: 95% interval, red tick: expected', 'start', 'lab');
  return svg(body, label, height);
}

/** Bars per window against a dashed limit line (red bars are over it). */
export function limitChart(values: readonly number[], limit: number, label: string, xLabel: string): string {
  const ax = axes({ x: [0, values.length], y: [0, Math.max(limit * 1.25, ...values)], xLabel, yLabel: 'tokens admitted', xTicks: false });
  const bw = (W - M.l - M.r) / Math.max(1, values.length);
  const every = Math.ceil(values.length / 20);
  const names = values.map((_v, i) => (i % every ? '' : text(M.l + (i + 0.5) * bw, H - M.b + 14, i + 1, 'middle'))).join('');
  const bars = values.map((v, i) =>
    closed(rect(M.l + i * bw + 2, ax.y(v), bw - 4, H - M.b - ax.y(v), v > limit ? COLORS[1]! : COLORS[2]!)),
  );
  const limitLine = path(`M${M.l},${f1(ax.y(limit))}H${W - M.r}`, COLORS[1]!, 2, ' stroke-dasharray="6 4"');
  return svg(ax.frame + names + bars.join('') + limitLine + text(W - M.r - 4, ax.y(limit) - 4, `limit ${limit}`, 'end'), label);
}

const OUTCOME_COLOR: Record<string, string> = {
  complete: '#16a34a',
  truncated: '#dc2626',
  corrupted: '#9333ea',
  error: '#ea580c',
  skipped: '#9ca3af',
};

/** One cell per (size, mode), coloured by outcome. */
export function outcomeGrid(rows: readonly { size: string; mode: string; kind: string }[], label: string): string {
  const sizes = [...new Set(rows.map((r) => r.size))];
  const modes = [...new Set(rows.map((r) => r.mode))];
  // One lookup a cell (a scan of the rows for each made sizes × modes × rows steps).
  const kinds = new Map(rows.toReversed().map((r) => [JSON.stringify([r.size, r.mode]), r.kind]));
  const cw = Math.min(100, (W - 90) / Math.max(1, sizes.length));
  const height = 40 + modes.length * 36 + 30;
  let body = sizes.map((s, i) => text(90 + i * cw + cw / 2, 20, s, 'middle')).join('');
  modes.forEach((m, j) => {
    body += text(84, 52 + j * 36, m, 'end');
    sizes.forEach((s, i) => {
      const kind = kinds.get(JSON.stringify([s, m]));
      const cell = rect(
        90 + i * cw + 2,
        30 + j * 36,
        cw - 4,
        30,
        kind !== undefined && Object.hasOwn(OUTCOME_COLOR, kind) ? OUTCOME_COLOR[kind]! : '#e5e7eb',
      );
      body += `${cell}<title>${esc(`${s} ${m}: ${kind ?? 'n/a'}`)}</title></rect>`;
    });
  });
  Object.entries(OUTCOME_COLOR).forEach(([k, c], i) => {
    body += closed(rect(90 + i * 100, height - 22, 10, 10, c)) + text(104 + i * 100, height - 13, k);
  });
  return svg(body, label, height);
}

/** Relative change per figure, red where it regressed: regressions first, then the largest changes. */
export function deltaChart(rows: readonly { key: string; change: number; worse: boolean }[], label: string): string {
  const moved = rows.filter((r) => Number.isFinite(r.change) && r.change !== 0);
  const shown = (moved.length ? moved : rows.filter((r) => Number.isFinite(r.change)))
    .toSorted((a, b) => Number(b.worse) - Number(a.worse) || Math.abs(b.change) - Math.abs(a.change))
    .slice(0, 40);
  const rowH = 18;
  const height = M.t + M.b + shown.length * rowH;
  const max = Math.max(0.1, ...shown.map((r) => Math.abs(r.change)));
  const mid = 330;
  const x = (v: number) => mid + (v / max) * (W - mid - M.r - 50);
  let body = line(mid, M.t, mid, height - M.b, 'ax');
  shown.forEach((r, i) => {
    const y = M.t + i * rowH;
    const [a, b] = [Math.min(mid, x(r.change)), Math.max(mid, x(r.change))];
    body += text(mid - 6, y + 13, r.key.length > 44 ? `…${r.key.slice(-43)}` : r.key, 'end');
    body += closed(rect(a, y + 3, b - a, rowH - 6, r.worse ? COLORS[1]! : COLORS[0]!));
    body += text(b + 4, y + 13, `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%`);
  });
  return svg(body, label, height);
}

/** Offered rate against goodput per ramp step. */
export function rampChart(steps: readonly { rate: number; goodput: number }[], label: string): string {
  const top = Math.max(1, ...steps.map((s) => Math.max(s.rate, s.goodput)));
  const ax = axes({ x: [0, steps.length - 1 || 1], y: [0, top], xLabel: 'step (offered rate doubles)', yLabel: 'requests/s' });
  const series = (k: 'rate' | 'goodput', c: string) =>
    path(steps.map((s, i) => `${i ? 'L' : 'M'}${f1(ax.x(i))},${f1(ax.y(s[k]))}`).join(''), c) +
    steps.map((s, i) => `<circle cx="${f1(ax.x(i))}" cy="${f1(ax.y(s[k]))}" r="3" fill="${c}"/>`).join('');
  return svg(
    ax.frame + series('rate', COLORS[4]!) + series('goodput', COLORS[2]!) + legend(['offered', 'goodput'], [COLORS[4]!, COLORS[2]!]),
    label,
  );
}
