// npm run bench:pair — two of bench:overhead's targets side by side, loaded in turn with short loads many times:
// the median of the pairs' ratios (requests/s and gateway CPU per request) tells a change from the machine's
// swing, which moves a virtualised CPU by tens of percent from minute to minute (BENCHMARKS.md).
// Usage: node scripts/bench-pair.js A B [--pairs N] [--seconds S] [--warmup S] [--connections C] [--stream] [--null-usage] [--paced] [--alloc] [--promoted] [--gc] [--cpu-prof] [--baseline DIR]
//   --null-usage: the upstream streams as OpenAI does when asked for usage, `"usage":null` in every chunk but the last
//   --paced: instead of a load, paced streams one after another (bench:overhead's paced row: 20 chunks 5 ms apart),
//   the upstream reached directly in each pair too: the median time to first byte each gateway adds over direct, and
//   B's minus A's — issue 16's paced line is B's added ≤ the bare proxy's + 0.05 ms. Each request comes ~100 ms after
//   the last, so it runs cold (scripts/lib/cold-work.js): a single 5 s round swings by tenths of a millisecond.
//   --promoted: like --alloc, but leaving out what young collections free: the bytes per request that outlived the
//   young generation (promoted to old space, where only a full collection frees them: what RSS after a load holds), by
//   the function that allocated them.
//   --cpu-prof: then one more load of each with its CPU sampled: self time per request by area, and the functions B
//   spends most more in than A (matched by name and place) — where B's extra CPU per request goes, in µs, next to
//   what the pairs measured; the profiles are kept (their paths printed) for a flame graph in DevTools.
//   --alloc: then one more load of each with allocation sampled (garbage included): bytes allocated per request,
//   by area and function — a per-request figure that does not swing with the machine as time does.
//   --gc: then (before --alloc's) one more load of each with its collections recorded (V8's GCProfiler): scavenges, their
//   pause and the bytes they promote to old space per request — what a request's objects cost the collector, steadier
//   than time: a change that makes requests outlive scavenges shows here first.
//   A, B: any of bench:overhead's targets but direct (base, base-tenant: the --baseline build)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_KEY } from './lib/aigw-profile.js';
import { allocationPerRequest, formatAllocation } from './lib/alloc-profile.js';
import { analyzeCpuProfile, comparePerRequest, formatComparePerRequest } from './lib/cpuprofile-top.js';
import { GATEWAY_CPU, startTargets, TARGETS } from './lib/gateways.js';
import { closedLoop, hasTaskset } from './lib/load.js';
import { pacedTtfb } from './lib/paced-ttfb.js';
import { plus } from './lib/overhead-report.js';
import { cpuTicks, stealShare } from './lib/proc-stats.js';
import { median } from './lib/stats.js';
import { pacedBody } from './lib/streams-mode.js';

const USAGE =
  'usage: node scripts/bench-pair.js A B [--pairs N (10)] [--seconds S (2)] [--warmup S (5)] [--connections C (50)] [--stream] [--null-usage] [--paced] [--alloc] [--promoted] [--gc] [--cpu-prof] [--baseline DIR]';
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      pairs: { type: 'string', default: '10' },
      seconds: { type: 'string', default: '2' },
      // Each target is loaded this long first: measured warm, not while V8 still compiles it.
      warmup: { type: 'string', default: '5' },
      connections: { type: 'string', default: '50' },
      stream: { type: 'boolean', default: false },
      'null-usage': { type: 'boolean', default: false },
      paced: { type: 'boolean', default: false },
      alloc: { type: 'boolean', default: false },
      promoted: { type: 'boolean', default: false },
      gc: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      baseline: { type: 'string' },
    },
  });
} catch (e) {
  console.error(`bench-pair: ${e.message}\n${USAGE}`);
  process.exit(2);
}
const { values: v, positionals } = args;
const pairs = Number(v.pairs);
const seconds = Number(v.seconds);
const warmup = Number(v.warmup);
const connections = Number(v.connections);
const names = TARGETS.filter((t) => t.name !== 'direct').map((t) => t.name);
const problems = [];
if (positionals.length !== 2 || positionals[0] === positionals[1]) problems.push('name two different targets');
for (const p of positionals) if (!names.includes(p)) problems.push(`unknown target ${p} (one of ${names.join(', ')})`);
if (positionals.some((p) => p.startsWith('base')) && !v.baseline) problems.push('base and base-tenant need --baseline DIR');
// Allocation is sampled inside a Node gateway (gateway-probe.js); nginx has nothing to sample with.
if ((v.alloc || v.promoted) && positionals.includes('nginx'))
  problems.push(`--${v.alloc ? 'alloc' : 'promoted'} samples Node gateways only, not nginx`);
if (v.gc && positionals.includes('nginx')) problems.push('--gc records Node gateways only, not nginx');
if (v['cpu-prof'] && positionals.includes('nginx')) problems.push('--cpu-prof profiles Node gateways only, not nginx');
if (v['null-usage'] && !v.stream && !v.paced) problems.push('--null-usage shapes streamed chunks: give --stream or --paced too');
if (v.paced && (v.stream || v.alloc || v.promoted || v.gc || v['cpu-prof']))
  problems.push('--paced measures time to first byte alone: not with --stream, --alloc, --promoted, --gc or --cpu-prof');
for (const [k, n] of [
  ['pairs', pairs],
  ['seconds', seconds],
  ['connections', connections],
  ['warmup', warmup],
])
  if (!Number.isInteger(n) || n < 1) problems.push(`--${k} must be a positive integer`);
if (problems.length) {
  console.error(`bench-pair: ${problems.join('; ')}\n${USAGE}`);
  process.exit(2);
}

const pin = hasTaskset;
if (pin) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const dir = mkdtempSync(join(tmpdir(), 'aigw-pair-'));
const notes = [];
const { upUrl, targets, stopAll } = await startTargets({
  dir,
  only: positionals,
  streams: 0,
  pin,
  notes,
  baseline: v.baseline,
  nullUsage: v['null-usage'],
});
const [a, b] = positionals.map((n) => targets.find((t) => t.name === n));
const body = JSON.stringify({
  model: 'bench',
  messages: [{ role: 'user', content: 'Say something short.' }],
  ...(v.stream || v.paced ? { max_tokens: 20, stream: true, stream_options: { include_usage: true } } : { max_tokens: 4 }),
});
const headers = { authorization: `Bearer ${BENCH_KEY}` };

async function load(t, secs) {
  const c0 = t.proc.cpuSeconds();
  const s0 = cpuTicks(GATEWAY_CPU);
  const r = await closedLoop({ url: `${t.url}/v1/chat/completions`, body, connections, seconds: secs, headers });
  if (r.errors) throw new Error(`${t.name}: ${r.errors} failed requests`);
  // The host's share of the gateway's CPU meanwhile: on a virtual machine, what makes requests/s swing.
  const steal = pin ? stealShare(s0, cpuTicks(GATEWAY_CPU)) : undefined;
  return { rps: r.rps, us: ((t.proc.cpuSeconds() - c0) / Math.max(1, r.total)) * 1e6, steal };
}

/** Issue 16's paced line: a gateway adds at most this much time to first byte over the bare proxy's. */
const PACED_LINE_MS = 0.05;
const pacedStreamBody = pacedBody(20, 5);

/** Pairs in which the host took at most this share of the gateway's CPU during both loads count as quiet. */
const QUIET_STEAL = 0.1;
const pct = (x) => (x === undefined ? '?' : `${Math.round(x * 100)} %`);
const ratios = (rows) =>
  `${median(rows.map((r) => r.rps)).toFixed(2)}× requests/s (${rows.filter((r) => r.rps > 1).length} of ${rows.length} pairs above 1), ` +
  `${median(rows.map((r) => r.cpu)).toFixed(2)}× CPU per request`;

/** The loads alternated: requests/s and CPU per request (and, asked, allocation and collections). */
async function loadPairs() {
  console.log(
    `bench:pair — ${a.label} vs ${b.label}, ${v.stream ? `saturating streams${v['null-usage'] ? ' with OpenAI\'s "usage":null chunks' : ''}` : 'non-streaming'}, ${connections} connections`,
  );
  for (const n of notes) console.log(`note: ${n}`);
  await load(a, warmup);
  await load(b, warmup);
  const rows = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate who goes first, so a drift within a pair does not favour one side.
    const [x, y] = i % 2 ? [b, a] : [a, b];
    const rx = await load(x, seconds);
    const ry = await load(y, seconds);
    const [ra, rb] = x === a ? [rx, ry] : [ry, rx];
    rows.push({ ra, rb, rps: rb.rps / ra.rps, cpu: rb.us / ra.us });
    console.log(
      `pair ${i + 1}: ${a.name} ${ra.rps.toFixed(0)}/s ${ra.us.toFixed(0)} µs | ${b.name} ${rb.rps.toFixed(0)}/s ${rb.us.toFixed(0)} µs | ` +
        `${b.name}/${a.name}: ${(rb.rps / ra.rps).toFixed(2)}× requests/s, ${(rb.us / ra.us).toFixed(2)}× CPU per request` +
        (ra.steal === undefined ? '' : ` | host steal ${pct(ra.steal)}, ${pct(rb.steal)}`),
    );
  }
  console.log(
    `\nmedian of ${pairs} pairs: ${b.name}/${a.name} ${ratios(rows)}; ` +
      `medians ${a.name} ${median(rows.map((r) => r.ra.rps)).toFixed(0)}/s ${median(rows.map((r) => r.ra.us)).toFixed(0)} µs, ` +
      `${b.name} ${median(rows.map((r) => r.rb.rps)).toFixed(0)}/s ${median(rows.map((r) => r.rb.us)).toFixed(0)} µs`,
  );
  if (rows[0].ra.steal !== undefined) {
    const steals = rows.flatMap((r) => [r.ra.steal ?? 0, r.rb.steal ?? 0]);
    const quiet = rows.filter((r) => Math.max(r.ra.steal ?? 1, r.rb.steal ?? 1) <= QUIET_STEAL);
    console.log(
      `the host took ${pct(median(steals))} of the gateway's CPU (median of the loads, ${pct(Math.min(...steals))}–${pct(Math.max(...steals))}); ` +
        (quiet.length
          ? `the ${quiet.length} pairs under ${pct(QUIET_STEAL)} in both loads: ${ratios(quiet)}`
          : `no pair under ${pct(QUIET_STEAL)} in both loads`),
    );
  }
  /** One more load of `t`, between two calls of its probe; the load's figures and the second call's answer. */
  const probedLoad = async (t, start, stop) => {
    await t.proc.probe(...start);
    const r = await closedLoop({ url: `${t.url}/v1/chat/completions`, body, connections, seconds, headers });
    return { r, answer: await t.proc.probe(...stop) };
  };
  // Collections are recorded before allocation is sampled: after a sampled load (garbage included) both proxies'
  // scavenges promoted 4–7× the bytes per request for a while (2026-12-03: bare 100 → 360, aigw + tenant 310 → 2,000).
  if (v.gc) {
    console.log('');
    const promoted = [];
    for (const t of [a, b]) {
      const { r, answer: g } = await probedLoad(t, ['gc-start'], ['gc-stop']);
      const n = Math.max(1, r.total);
      const perScavenge = (x) => (g.scavenges ? x / g.scavenges : 0);
      promoted.push(g.promotedBytes / n);
      console.log(
        `${t.name}: ${((g.scavenges / n) * 1000).toFixed(1)} scavenges per 1,000 requests, ` +
          `${(perScavenge(g.scavengeUs) / 1000).toFixed(2)} ms each, ${(g.scavengeUs / n).toFixed(2)} µs per request; ` +
          `promoted ${(perScavenge(g.promotedBytes) / 1024).toFixed(0)} KiB per scavenge, ${(g.promotedBytes / n).toFixed(0)} bytes per request; ` +
          `young after each ${(perScavenge(g.survivedBytes) / 1024).toFixed(0)} KiB; ${g.fullGcs} full collections (${(g.fullGcUs / 1000).toFixed(1)} ms)`,
      );
    }
    console.log(`promoted per request: ${b.name}/${a.name} ${(promoted[1] / Math.max(1, promoted[0])).toFixed(2)}×`);
  }
  if (v['cpu-prof']) {
    console.log('');
    const loads = [];
    for (const t of [a, b]) {
      const file = join(dir, `${t.name}.cpuprofile`);
      const { r } = await probedLoad(t, ['cpu-start', { intervalUs: 100 }], ['cpu-stop', { file }]);
      loads.push({ analysis: analyzeCpuProfile(JSON.parse(readFileSync(file, 'utf8'))), requests: r.total });
      console.log(`${t.name}: ${r.total} ${v.stream ? 'streams' : 'requests'} profiled (${file})`);
    }
    console.log(formatComparePerRequest(comparePerRequest(loads[0], loads[1], 16), [a.name, b.name], 16, v.stream ? 'stream' : 'request'));
  }
  // What outlived the young generation first: after a load sampled with its garbage, aigw's read 7.6 KiB a request
  // against 0.6 before it (2026-12-04), as collections promote more for a while (above).
  for (const [asked, young, what] of [
    [v.promoted, false, 'outlived the young generation'],
    [v.alloc, true, 'allocated'],
  ]) {
    if (!asked) continue;
    console.log('');
    const perRequest = [];
    for (const t of [a, b]) {
      const file = join(dir, `${t.name}.${young ? 'heapprofile' : 'promoted.heapprofile'}`);
      const { r } = await probedLoad(t, ['alloc-start', { intervalBytes: young ? 4096 : 1024, young }], ['alloc-stop', { file }]);
      const alloc = allocationPerRequest(JSON.parse(readFileSync(file, 'utf8')), Math.max(1, r.total));
      perRequest.push(alloc.bytesPerRequest);
      console.log(formatAllocation(t.name, alloc, 8, what));
    }
    console.log(
      `${young ? 'allocation' : 'outlived the young generation'} per request: ${b.name}/${a.name} ${(perRequest[1] / Math.max(1, perRequest[0])).toFixed(2)}×`,
    );
  }
}

/** One paced run of `url`: the median time to first byte (ms) of its streams, and the host's steal meanwhile. */
async function pacedRun(url, secs) {
  const s0 = cpuTicks(GATEWAY_CPU);
  const r = await pacedTtfb({ url: `${url}/v1/chat/completions`, body: pacedStreamBody, headers, seconds: secs });
  if (r.failed) throw new Error(`${url}: ${r.failed} failed streams`);
  return { ttfb: median(r.ttfb), samples: r.ttfb.length, steal: pin ? stealShare(s0, cpuTicks(GATEWAY_CPU)) : undefined };
}

/** Paced streams alternated, the upstream direct first in each pair: the time to first byte each gateway adds. */
async function pacedPairs() {
  console.log(`bench:pair — ${a.label} vs ${b.label}, paced streams (20 chunks 5 ms apart, one at a time), time to first byte over direct`);
  for (const n of notes) console.log(`note: ${n}`);
  for (const t of [a, b]) {
    await load(t, warmup);
    await pacedRun(t.url, 1);
  }
  const rows = [];
  const ms = (x) => `${plus(x, 3)} ms`;
  for (let i = 0; i < pairs; i++) {
    const direct = await pacedRun(upUrl, seconds);
    const [x, y] = i % 2 ? [b, a] : [a, b];
    const rx = await pacedRun(x.url, seconds);
    const ry = await pacedRun(y.url, seconds);
    const [ra, rb] = x === a ? [rx, ry] : [ry, rx];
    const row = { direct: direct.ttfb, addedA: ra.ttfb - direct.ttfb, addedB: rb.ttfb - direct.ttfb };
    rows.push(row);
    console.log(
      `pair ${i + 1}: direct ${direct.ttfb.toFixed(3)} ms | ${a.name} ${ms(row.addedA)} | ${b.name} ${ms(row.addedB)} | ` +
        `${b.name} − ${a.name}: ${ms(row.addedB - row.addedA)} (${ra.samples} and ${rb.samples} streams)` +
        (ra.steal === undefined ? '' : ` | host steal ${pct(ra.steal)}, ${pct(rb.steal)}`),
    );
  }
  const diffs = rows.map((r) => r.addedB - r.addedA);
  console.log(
    `\nmedian of ${pairs} pairs: time to first byte added over direct (${median(rows.map((r) => r.direct)).toFixed(3)} ms): ` +
      `${a.name} ${ms(median(rows.map((r) => r.addedA)))}, ${b.name} ${ms(median(rows.map((r) => r.addedB)))}; ` +
      `${b.name} − ${a.name} ${ms(median(diffs))} (${diffs.filter((d) => d <= PACED_LINE_MS).length} of ${pairs} pairs within ${PACED_LINE_MS} ms)`,
  );
}

try {
  if (v.paced) await pacedPairs();
  else await loadPairs();
} finally {
  await stopAll();
}
