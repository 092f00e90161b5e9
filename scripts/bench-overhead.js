// npm run bench:overhead — what a gateway costs, every row of issue 16's table from one run, with its baselines:
// the upstream reached directly, nginx (the floor, when installed), a bare undici proxy, and aigw with its
// defaults, with a tenant (auth + limits) and with --log json; interleaved rounds, medians. The gateways run on
// CPU 1, the upstream and the load generators on CPU 0 (taskset). `--streams N` adds the concurrent-streams mode.
// Run with --help for the options; BENCHMARKS.md explains every row.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_KEY } from './lib/aigw-profile.js';
import { GATEWAY_CPU, startTargets } from './lib/gateways.js';
import { closedLoop, hasTaskset, hasWrk } from './lib/load.js';
import { HELP, readOptions } from './lib/overhead-options.js';
import { alone } from './lib/alone.js';
import { markdown, mediansOf, overheadTable, streamsTable } from './lib/overhead-report.js';
import { largeAnswers } from './lib/large-answers.js';
import { formatIssueLines, issueLines } from './lib/issue-lines.js';
import { pacedTtfb } from './lib/paced-ttfb.js';
import { cpuTicks, openFileLimits, somaxconn, stealShare } from './lib/proc-stats.js';
import { cpuProfiles, heapReport, heapSnapshots } from './lib/profiling.js';
import { coldWork, formatColdWork } from './lib/cold-work.js';
import { median } from './lib/stats.js';
import { holdStreams } from './lib/stream-hold.js';
import { heldStreamHeap, pacedBody, runStreams, streamRun } from './lib/streams-mode.js';

const read = readOptions(process.argv.slice(2));
if (!read.ok || read.value.help) {
  (read.ok ? console.log : console.error)(read.ok ? HELP : `bench-overhead: ${read.message}\n${HELP}`);
  process.exit(read.ok ? 0 : 2);
}
const o = read.value;
const { rounds, seconds, connections, only, counts, streamSeconds, intervalMs, rampMs, cadenceMs, streamRounds, streamsOnly } = o;

const pin = hasTaskset && o.pin;
const notes = [];
const log = (s) => console.log(s);
const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'aigw-overhead-'));
// A --dir that does not exist yet is made, as --cpu-prof's is; one that cannot be (a file, no permission) is a bad option.
try {
  mkdirSync(dir, { recursive: true });
} catch (e) {
  console.error(`bench-overhead: --dir ${dir}: ${e.code === 'EEXIST' ? 'a file is there, not a directory' : e.message}`);
  process.exit(2);
}

// The load generators share CPU 0 with the upstream; the gateway has CPU 1 to itself.
if (pin) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

// Every held stream costs a socket here, two in the gateway and one in the upstream (Node raises its soft limit to
// the hard one by itself; a hard limit can only be raised by root).
const maxStreams = Math.max(0, ...counts);
if (maxStreams) {
  const need = 2 * maxStreams + 1024;
  let lim = openFileLimits();
  if (lim.hard < need) {
    spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${need}:${need}`], { stdio: 'ignore' });
    lim = openFileLimits();
  }
  notes.push(`open files: soft ${lim.soft}, hard ${lim.hard} (${maxStreams} streams need about ${need} in the gateway)`);
  if (lim.hard < need) {
    console.error(
      `bench-overhead: --streams ${maxStreams} needs ${need} open files; the hard limit is ${lim.hard} (raise ulimit -Hn as root)`,
    );
    process.exit(2);
  }
}

const env = {
  node: process.version,
  kernel: release(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  loadavgAtStart: loadavg(),
  somaxconn: somaxconn(),
  pinning: pin ? 'taskset: gateway on CPU 1; upstream and load generators on CPU 0' : 'none',
  loadGenerator: hasWrk ? 'wrk (1 thread)' : 'autocannon (install wrk for lower client overhead)',
  startedAt: new Date().toISOString(),
  dir,
};
log(
  `bench:overhead — ${env.cpus} × ${env.cpuModel}, Node ${env.node}, ` +
    `load average ${env.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}`,
);
log(`pinning: ${env.pinning}; load: ${env.loadGenerator}; every other gateway frozen while one is measured; files in ${dir}`);
// Measured where the gateways run, before they start: what the paced row's figures are made of on this machine.
env.coldWork = coldWork({ cpu: pin ? GATEWAY_CPU : undefined }) ?? null;
log(formatColdWork(env.coldWork));
if (env.cpus < 2) notes.push('fewer than 2 CPUs: the gateway shares its CPU with the load, figures are not comparable with the issue');
if (env.loadavgAtStart[0] > 0.5)
  notes.push(`load average ${env.loadavgAtStart[0].toFixed(2)} at start: other work competes, figures swing`);

const path = '/v1/chat/completions';
const headers = { authorization: `Bearer ${BENCH_KEY}` };
const ask = (extra) => JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say something short.' }], ...extra });
const plainBody = ask({ max_tokens: 4 });
const saturatingBody = ask({ max_tokens: 20, stream: true, stream_options: { include_usage: true } }); // 20 + usage = 21 chunks
const pacedTtfbBody = pacedBody(20, 5);
// The same streams with no pause between chunks: each request comes right after the last one ran the same path.
// Paced, ~100 ms of other work comes between, and on this VM the time to first byte then grows with how much code a
// request runs (BENCHMARKS.md: back to back the gateways are 0.02–0.04 ms apart, paced 0.1–0.3).
const backToBackBody = pacedBody(20, 0);

const { upstream, upUrl, targets, stopAll } = await startTargets({ dir, only, streams: maxStreams, pin, notes, baseline: o.baseline });
const up = { url: upUrl, proc: upstream };
const cleanExit = async (code) => {
  await stopAll();
  process.exit(code);
};
// Stopped by a signal, the gateways go too (some may be frozen: see alone.js); `timeout` sends SIGTERM.
process.on('SIGINT', () => void cleanExit(130));
process.on('SIGTERM', () => void cleanExit(143));

// Idle: started a second ago, no request served yet; then again once V8's memory reducer has run (a few seconds
// of idleness), which is what an idle gateway really holds.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssOf = (key) => {
  for (const t of targets) if (t.proc && memory[t.name]) memory[t.name][key] = t.proc.rssBytes();
};
await sleep(1000);
const memory = Object.fromEntries(targets.filter((t) => t.proc).map((t) => [t.name, { idleBytes: t.proc.rssBytes() }]));
if (o.settleSeconds > 0) {
  log(`idle: ${o.settleSeconds} s for V8's memory reducer`);
  await sleep(o.settleSeconds * 1000);
  rssOf('idleSettledBytes');
}

/** A request and a stream through a target, checked, before anything is measured. */
async function check(t) {
  const res = await fetch(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: plainBody });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"choices"'))
    throw new Error(`${t.label}: a plain request got ${res.status}: ${text.slice(0, 300)}`);
  const s = await holdStreams({
    url: t.url + path,
    body: saturatingBody,
    headers,
    n: 1,
    rampMs: 0,
    chunks: 20,
    intervalMs: 0,
    graceMs: 5000,
  });
  if (s.ok !== 1) throw new Error(`${t.label}: a stream failed: ${JSON.stringify(s.failures)}`);
}
const live = [];
for (const t of targets) {
  try {
    await check(t);
    live.push(t);
  } catch (e) {
    notes.push(`${t.label}: LEFT OUT, it failed the check: ${e.message}`);
    log(`! ${t.label} left out: ${e.message}${t.proc ? ` (stderr: ${t.proc.errFile})` : ''}`);
  }
}
if (!live.some((t) => t.name === 'direct')) {
  log('the upstream itself failed the check; nothing to measure');
  await cleanExit(1);
}

const heapDir = join(o.cpuProf ?? dir, 'heap');
const heapBefore = o.heap ? await heapSnapshots(live, heapDir, 'before') : undefined;

const cpuOf = (t) => t.proc?.cpuSeconds();
const phases = {
  async plain(t, secs = seconds, conns = connections) {
    const c0 = cpuOf(t);
    const r = await closedLoop({ url: t.url + path, body: plainBody, connections: conns, seconds: secs, headers });
    const cpu = t.proc ? ((cpuOf(t) - c0) / Math.max(1, r.total)) * 1e6 : undefined;
    return { rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, cpuUsPerRequest: cpu };
  },
  async saturating(t, secs = seconds) {
    const c0 = cpuOf(t);
    const r = await closedLoop({ url: t.url + path, body: saturatingBody, connections, seconds: secs, headers });
    return { streamsPerS: r.rps, satErrors: r.errors, cpuUsPerStream: t.proc ? ((cpuOf(t) - c0) / Math.max(1, r.total)) * 1e6 : undefined };
  },
  async paced(t, secs = seconds) {
    const r = await pacedTtfb({ url: t.url + path, body: pacedTtfbBody, headers, seconds: secs });
    return { ttfbMs: median(r.ttfb), ttfbFailed: r.failed, ttfbSamples: r.ttfb.length };
  },
  async backToBack(t, secs = 2) {
    const r = await pacedTtfb({ url: t.url + path, body: backToBackBody, headers, seconds: secs });
    return { ttfbB2bMs: median(r.ttfb), ttfbB2bFailed: r.failed };
  },
};

// The concurrent-streams mode warms up too: its streams open within a second, and a cold gateway would spend
// that second compiling its request path (aigw far more than the bare proxy), which is not how it runs.
log(`\nwarm-up (${o.warmupSeconds} s per load): ${live.map((t) => t.label).join(', ')}`);
for (const t of live) {
  await phases.plain(t, o.warmupSeconds);
  await phases.saturating(t, o.warmupSeconds);
  await phases.paced(t, 1);
}

const perRound = Object.fromEntries(live.map((t) => [t.name, []]));
// The host's share of the gateway's CPU in each round: on a virtual machine, what makes a round's figures swing.
env.stealByRound = [];
const runTicks = cpuTicks(GATEWAY_CPU);
for (let r = 0; r < (streamsOnly ? 0 : rounds); r++) {
  const roundTicks = cpuTicks(GATEWAY_CPU);
  // Rotated, and reversed every other round: no gateway always runs right after the same one (with the cyclic order
  // alone, aigw + tenant always followed plain aigw's paced phase, and read 30–46 % dearer than side by side).
  const k = r % live.length;
  const order = [...live.slice(k), ...live.slice(0, k)];
  if (r % 2 === 1) order.reverse();
  for (const t of order) {
    perRound[t.name].push(
      await alone(live, t, async () => {
        const plain = await phases.plain(t);
        const { p50: lat1P50 } = await phases.plain(t, seconds, 1);
        // Paced last, as before the back-to-back row: what a round leaves resident (the RSS row) follows the same load.
        const sat = await phases.saturating(t);
        const b2b = await phases.backToBack(t);
        return { ...plain, lat1P50, ...sat, ...b2b, ...(await phases.paced(t)) };
      }),
    );
  }
  const line = live.map((t) => `${t.name} ${Math.round(perRound[t.name].at(-1).rps)}`).join('  ');
  const steal = pin ? stealShare(roundTicks, cpuTicks(GATEWAY_CPU)) : undefined;
  env.stealByRound.push(steal ?? null);
  log(
    `round ${r + 1}/${rounds}: req/s ${line}${steal === undefined ? '' : `  (host steal on the gateway's CPU ${Math.round(steal * 100)} %)`}`,
  );
}
rssOf('afterBytes');
if (o.settleSeconds > 0 && !streamsOnly) {
  await sleep(o.settleSeconds * 1000);
  rssOf('afterSettledBytes');
}
const medians = Object.fromEntries(live.map((t) => [t.name, mediansOf(perRound[t.name])]));
// Failures are summed, not medianed: one bad round must show.
for (const t of live)
  medians[t.name].failedTotal = perRound[t.name].reduce((a, r) => a + r.errors + r.satErrors + r.ttfbFailed + r.ttfbB2bFailed, 0);
const heapAfter = o.heap ? await heapSnapshots(live, heapDir, 'after') : undefined;

let large;
if (o.large && !streamsOnly) {
  large = {};
  for (const t of live) {
    log(`large answers: ${t.label}`);
    large[t.name] = await largeAnswers({ target: t, headers, expectBytes: large.direct?.bytes });
  }
}

const streams = counts.length
  ? await runStreams({
      targets: live,
      up,
      counts,
      seconds: streamSeconds,
      intervalMs,
      promptKiB: o.promptKiB,
      promptScript: o.promptScript,
      rampMs,
      cadenceMs,
      rounds: streamRounds,
      headers,
      log,
    })
  : undefined;

// --heap with --streams: the live heap per held stream, from snapshots (a run of its own: snapshots stall).
const streamHeap = {};
if (o.heap && counts.length) {
  const n = Math.min(...counts);
  for (const t of live.filter((x) => x.proc?.probe)) {
    // A gateway that died (or a probe that no longer answers) loses its figure, not the bench its report.
    try {
      if (!t.proc.alive()) throw new Error(`${t.label} is not running (stderr: ${t.proc.errFile})`);
      const h = await heldStreamHeap({
        target: t,
        up,
        n,
        intervalMs,
        promptKiB: o.promptKiB,
        promptScript: o.promptScript,
        rampMs,
        headers,
        dir: heapDir,
      });
      streamHeap[t.name] = h;
      const failed = h.failed ? `, ${h.failed} streams FAILED` : '';
      log(
        `held-stream heap: ${t.label}, ${n} streams: ${h.heapPerStreamKiB.toFixed(1)} KiB per stream${failed} (${h.before} → ${h.after})`,
      );
    } catch (e) {
      streamHeap[t.name] = { n, error: String(e?.message ?? e) };
      log(`held-stream heap: ${t.label}: ! ${streamHeap[t.name].error}`);
    }
  }
}

const profiles = o.cpuProf
  ? await cpuProfiles({
      targets: live,
      dir: o.cpuProf,
      intervalUs: o.cpuIntervalUs,
      top: 15,
      log,
      phases: [
        { name: 'plain', run: (t) => phases.plain(t) },
        { name: 'saturating-streams', run: (t) => phases.saturating(t) },
        ...(counts.length
          ? [
              {
                name: `paced-streams-${Math.min(...counts)}`,
                run: (t) =>
                  streamRun({
                    target: t,
                    up,
                    n: Math.min(...counts),
                    seconds: streamSeconds,
                    intervalMs,
                    promptKiB: o.promptKiB,
                    promptScript: o.promptScript,
                    rampMs,
                    headers,
                  }),
              },
            ]
          : []),
      ],
    })
  : undefined;

const heap = o.heap ? heapReport(live, heapBefore, heapAfter, 15, log) : undefined;
env.loadavgAtEnd = loadavg();
env.steal = pin ? (stealShare(runTicks, cpuTicks(GATEWAY_CPU)) ?? null) : null;
if (env.steal > 0.1)
  notes.push(
    `the host took ${Math.round(env.steal * 100)} % of the gateway's CPU over the run (steal): figures swing, compare ratios within a round`,
  );
await stopAll();

const table = streamsOnly ? undefined : overheadTable(live, medians, memory, connections, large);
log(`\n## bench:overhead — ${env.startedAt}`);
if (table) log(`\nmedians of ${rounds} interleaved rounds of ${seconds} s per load\n\n${markdown(table, live)}`);
if (o.heap) notes.push('--heap: the RSS after the rounds includes what the first heap snapshot left in each Node gateway');
const streamTables = [];
for (const s of Object.values(streams ?? {})) {
  const st = streamsTable(live, s.medians, s.n, intervalMs, streamSeconds, o.promptKiB, o.promptScript);
  streamTables.push(st);
  log(`\n### ${st.title}${s.directKeepsCadence ? '' : ' — NOT REPORTED: the direct baseline lost cadence'}\n`);
  if (s.directKeepsCadence) log(markdown(st, live));
  const d = s.medians.direct;
  // Upstream and client share CPU 0: at 1 s of CPU per second, this many streams would saturate it.
  const coreLimit = 1e6 / ((d.upstreamCpuUsPerChunk + d.clientCpuUsPerChunk) * (1000 / intervalMs));
  log(
    `\ndirect: lateness p99 ${d.latenessP99.toFixed(1)} ms (cadence limit ${cadenceMs}), the upstream's own ` +
      `${d.upstreamLatenessP99.toFixed(1)} ms; client event-loop delay p99 ${d.clientLoopP99.toFixed(1)} ms; CPU per chunk: ` +
      `upstream ${d.upstreamCpuUsPerChunk.toFixed(1)} µs + client ${d.clientCpuUsPerChunk.toFixed(1)} µs ` +
      `(CPU 0 would saturate near ${Math.round(coreLimit)} streams)`,
  );
}
// With --streams-only nothing loaded the gateways before "after the rounds": their RSS lines are not judged.
const lines = issueLines(medians, streamsOnly ? undefined : memory, streams);
const subject = live.find((t) => t.name === lines?.subject)?.label;
log(`\n${formatIssueLines(lines, `${subject} against the bare undici proxy`)}`);
log(`\nmachine load average ${env.loadavgAtStart[0].toFixed(2)} at start, ${env.loadavgAtEnd[0].toFixed(2)} at the end`);
log(formatColdWork(env.coldWork));
for (const n of notes) log(`note: ${n}`);

if (o.json) {
  const report = { version: 1, env, options: o, notes, targets: live.map(({ name, label }) => ({ name, label })) };
  Object.assign(report, {
    rounds: perRound,
    medians,
    memory,
    large,
    table,
    streams,
    streamTables,
    streamHeap,
    lines,
    cpuProfiles: profiles,
    heap,
  });
  writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${o.json}`);
}
process.exit(0);
