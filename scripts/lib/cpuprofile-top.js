// Reads a V8 .cpuprofile (node --cpu-prof, or the inspector's Profiler.stop) and names where the time went: the
// top functions by self time (DevTools' Bottom-Up view) with their total time, and self time by area (this repo's
// files, each npm package, Node's internals, GC). CLI: node scripts/lib/cpuprofile-top.js FILE [--top N]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a frame's code lives, for grouping. */
export function areaOf(url, functionName, root = ROOT) {
  if (!url) return SPECIAL.has(functionName) ? functionName : '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 14).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  if (path.startsWith('node:'))
    return `node:${path
      .replace(/^node:(internal\/)?/, '')
      .split('/')[0]
      ?.replace(/\.js$/, '')}`;
  return path.startsWith(root) ? path.slice(root.length) : path;
}

function where(url, line, root) {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  const short = nm >= 0 ? path.slice(nm + 14) : path.startsWith(root) ? path.slice(root.length) : path;
  return `${short}:${line + 1}`;
}

/** Self and total time (µs) per function and self time per area. */
export function analyzeCpuProfile(profile, root = ROOT) {
  const nodes = new Map();
  const parent = new Map();
  for (const n of profile.nodes) {
    nodes.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const fns = new Map();
  const fnOf = (n) => {
    const f = n.callFrame;
    const key = `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
    let e = fns.get(key);
    if (!e) {
      const name = f.functionName || '(anonymous)';
      e = { name, where: where(f.url, f.lineNumber, root), area: areaOf(f.url, name, root), selfUs: 0, totalUs: 0, stamp: -1 };
      fns.set(key, e);
    }
    return e;
  };
  const { samples = [], timeDeltas = [] } = profile;
  let ts = profile.startTime;
  const stamps = samples.map((_, i) => (ts += timeDeltas[i] ?? 0));
  let sampledUs = 0;
  let idleUs = 0;
  samples.forEach((id, i) => {
    const dt = (i + 1 < stamps.length ? stamps[i + 1] : profile.endTime) - stamps[i];
    if (!(dt > 0)) return;
    sampledUs += dt;
    let n = nodes.get(id);
    if (!n) return;
    const self = fnOf(n);
    self.selfUs += dt;
    if (self.name === '(idle)') idleUs += dt;
    // Total time: each function once per sample, however often it recurs on the stack.
    for (; n; n = nodes.get(parent.get(n.id))) {
      const e = fnOf(n);
      if (e.stamp === i) continue;
      e.stamp = i;
      e.totalUs += dt;
    }
  });
  const list = [...fns.values()].filter((f) => f.name !== '(root)' && f.name !== '(idle)');
  const areas = new Map();
  for (const f of list) areas.set(f.area, (areas.get(f.area) ?? 0) + f.selfUs);
  return {
    sampledUs,
    busyUs: sampledUs - idleUs,
    functions: list.sort((a, b) => b.selfUs - a.selfUs).map(({ stamp, ...f }) => f),
    areas: [...areas].map(([area, selfUs]) => ({ area, selfUs })).sort((a, b) => b.selfUs - a.selfUs),
  };
}

const pct = (x, of) => (of > 0 ? ((100 * x) / of).toFixed(1) : '-').padStart(6);
const ms = (us) => (us / 1000).toFixed(1).padStart(8);

/** Plain-text tables: the top `top` functions by self time, then the top areas. Percentages are of busy time. */
export function formatCpuTop(r, top = 15) {
  const gc = r.functions.find((f) => f.name === '(garbage collector)')?.selfUs ?? 0;
  const lines = [
    `busy ${(r.busyUs / 1000).toFixed(0)} ms of ${(r.sampledUs / 1000).toFixed(0)} ms sampled; GC ${pct(gc, r.busyUs).trim()} % of busy`,
    '  self %   self ms  total %  function  (where)',
  ];
  for (const f of r.functions.slice(0, top))
    lines.push(`  ${pct(f.selfUs, r.busyUs)}  ${ms(f.selfUs)}  ${pct(f.totalUs, r.busyUs)}   ${f.name}${f.where ? `  (${f.where})` : ''}`);
  lines.push('  self time by area:');
  for (const a of r.areas.slice(0, Math.ceil(top / 2))) lines.push(`  ${pct(a.selfUs, r.busyUs)}  ${ms(a.selfUs)}           ${a.area}`);
  return lines.join('\n');
}

/**
 * Two profiles of the same load, each over `requests` requests: self time per request by area and by function, and
 * where B spends more than A — a gateway's extra CPU per request, named (A: a baseline such as the bare proxy).
 * A function is matched by its name and place; one that only B runs counts from zero.
 */
export function comparePerRequest(a, b, top = 15) {
  const per = (r, us) => us / Math.max(1, r.requests);
  const keyOf = (f) => `${f.name}\u0000${f.where}`;
  const aSelf = new Map(a.analysis.functions.map((f) => [keyOf(f), per(a, f.selfUs)]));
  const aArea = new Map(a.analysis.areas.map((x) => [x.area, per(a, x.selfUs)]));
  const byArea = b.analysis.areas.map((x) => ({ area: x.area, a: aArea.get(x.area) ?? 0, b: per(b, x.selfUs) }));
  const inB = new Set(byArea.map((x) => x.area));
  for (const [area, us] of aArea) if (!inB.has(area)) byArea.push({ area, a: us, b: 0 });
  const extra = b.analysis.functions
    .map((f) => ({ name: f.name, where: f.where, area: f.area, a: aSelf.get(keyOf(f)) ?? 0, b: per(b, f.selfUs) }))
    .sort((x, y) => y.b - y.a - (x.b - x.a))
    .slice(0, top);
  return {
    busy: { a: per(a, a.analysis.busyUs), b: per(b, b.analysis.busyUs) },
    areas: byArea.sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a)).slice(0, top),
    extra,
  };
}

/** comparePerRequest's answer as plain-text tables, µs per request (`unit`: what one of them is, e.g. a stream). */
export function formatComparePerRequest(c, labels, top = 15, unit = 'request') {
  const us = (x) => x.toFixed(2).padStart(7);
  const diff = (x) => `${x.b - x.a >= 0 ? '+' : ''}${(x.b - x.a).toFixed(2)}`.padStart(7);
  const lines = [
    `busy CPU per ${unit} (sampled): ${labels[0]} ${c.busy.a.toFixed(1)} µs, ${labels[1]} ${c.busy.b.toFixed(1)} µs (${diff(c.busy).trim()})`,
    `  self µs per ${unit} by area (${labels[0]} → ${labels[1]}, largest differences first):`,
  ];
  for (const x of c.areas.slice(0, top)) lines.push(`  ${us(x.a)} → ${us(x.b)}  ${diff(x)}  ${x.area}`);
  lines.push(`  functions ${labels[1]} spends most more in (self µs per ${unit}):`);
  for (const f of c.extra.slice(0, top)) lines.push(`  ${us(f.a)} → ${us(f.b)}  ${diff(f)}  ${f.name}${f.where ? `  (${f.where})` : ''}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/lib/cpuprofile-top.js FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  console.log(formatCpuTop(analyzeCpuProfile(JSON.parse(readFileSync(file, 'utf8'))), i > 0 ? Number(process.argv[i + 1]) : 15));
}
