// bench:overhead --streams N: N clients each holding one paced stream through each target in turn (direct first,
// as the baseline that must keep cadence), with the gateway's memory per stream, CPU per relayed chunk and
// event-loop delay. A count is reported only while the direct baseline keeps cadence; larger ones are skipped.
import { join } from 'node:path';
import { alone } from './alone.js';
import { allOpenWindow, busySeconds, cpuPerChunkBetween } from './cpu-window.js';
import { readSnapshot } from './heap-diff.js';
import { holdStreams } from './stream-hold.js';
import { mediansOf } from './overhead-report.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Prompt filler per `--stream-prompt-script`: ASCII, two bytes a letter, three a character. */
export const PROMPT_FILLER = {
  latin: 'lorem ipsum dolor sit amet ',
  cyrillic: 'съешь же ещё этих мягких французских булок ',
  cjk: '敏捷的棕色狐狸跳过了懒狗。',
};

/** `promptKiB` more of prompt after the directive (KiB of UTF-8, so of JSON too): a chat with history. */
export function pacedBody(chunks, intervalMs, promptKiB = 0, promptScript = 'latin') {
  const tps = 1000 / intervalMs;
  const filler = PROMPT_FILLER[promptScript];
  // Whole fillers after one space, as many as fit: counted, not measured per step (a growing string measured each
  // time is quadratic: a 1000 KiB prompt took 40 s on a busy CI machine).
  const fits = promptKiB > 0 ? Math.floor((promptKiB * 1024 - 1) / Buffer.byteLength(filler)) : 0;
  const history = promptKiB > 0 ? ` ${filler.repeat(fits)}` : '';
  return JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: `Talk slowly. [[mock tps=${tps}]]${history}` }],
    max_tokens: chunks,
    stream: true,
    stream_options: { include_usage: true },
  });
}

/** `n` paced streams through `target`, each lasting `ms` (one chunk per `intervalMs`), opened over `rampMs`. */
function holdPaced({ target, n, ms, intervalMs, promptKiB, promptScript, rampMs, headers, live }) {
  const chunks = Math.round(ms / intervalMs);
  const body = pacedBody(chunks, intervalMs, promptKiB, promptScript);
  return holdStreams({ url: `${target.url}/v1/chat/completions`, body, headers, n, rampMs, chunks, intervalMs, live });
}

/** Waits until the upstream holds no stream (the previous run's sockets are gone), up to 15 s. */
async function drained(upUrl) {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const s = await fetch(`${upUrl}/bench/stats`).then(
      (r) => r.json(),
      () => undefined,
    );
    if (s?.active === 0) return true;
    await sleep(200);
  }
  return false;
}

/**
 * One target at one count: the client's figures plus the gateway's own, and what the upstream and this client
 * spent per chunk (they share CPU 0: their sum says how many streams the baseline itself can keep).
 */
/**
 * Memory per stream is the peak RSS above `rssBase`: the gateway's RSS before its first held streams (given by
 * runStreams), not before this run — a process keeps what an earlier run grew to, so a later run measured from
 * its own start reads close to nothing.
 */
export async function streamRun({ target, up, n, seconds, intervalMs, promptKiB = 0, promptScript, rampMs, headers, rssBase }) {
  if (!(await drained(up.url))) throw new Error('the upstream still holds streams from the previous run after 15 s');
  const proc = target.proc;
  await proc?.probe?.('loop-start');
  const rss0 = proc?.rssBytes();
  const base = rssBase ?? rss0;
  const cpu0 = proc?.cpuSeconds();
  const up0 = up.proc.cpuSeconds();
  const client0 = process.cpuUsage();
  let peak = rss0;
  const t0 = performance.now();
  const cpuSamples = [{ ms: 0, cpuSeconds: cpu0 }];
  const sampler = proc
    ? setInterval(() => {
        peak = Math.max(peak, proc.rssBytes());
        cpuSamples.push({ ms: performance.now() - t0, cpuSeconds: proc.cpuSeconds() });
      }, 250)
    : undefined;
  // The gateway's CPU and the chunks received when every stream is open, at the window's two ends.
  const live = { chunks: 0 };
  const open = proc ? allOpenWindow(rampMs, seconds * 1000) : undefined;
  const marks = [];
  const markers = open
    ? [open.from, open.to].map((ms) => setTimeout(() => marks.push({ cpuSeconds: proc.cpuSeconds(), chunks: live.chunks }), ms))
    : [];
  const r = await holdPaced({ target, n, ms: seconds * 1000, intervalMs, promptKiB, promptScript, rampMs, headers, live });
  clearInterval(sampler);
  for (const m of markers) clearTimeout(m);
  const loop = await proc?.probe?.('loop-read');
  const cpu = proc ? proc.cpuSeconds() - cpu0 : undefined;
  const client = process.cpuUsage(client0);
  const perChunk = (us) => us / Math.max(1, r.chunks);
  return {
    n,
    ok: r.ok,
    failed: r.failed,
    failures: r.failures,
    chunks: r.chunks,
    delayP50: r.delay.p50,
    delayP99: r.delay.p99,
    delayMax: r.delay.max,
    latenessP99: r.lateness.p99,
    upstreamLatenessP99: r.upstreamLateness.p99,
    gapP99: r.gap.p99,
    ttfcP50: r.ttfc.p50,
    ttfcP99: r.ttfc.p99,
    ttfcMax: r.ttfc.max,
    clientLoopP99: r.clientLoop.p99,
    clientLoopMax: r.clientLoop.max,
    rssBeforeMiB: proc ? rss0 / 2 ** 20 : undefined,
    rssPeakMiB: proc ? peak / 2 ** 20 : undefined,
    rssBaseMiB: proc ? base / 2 ** 20 : undefined,
    rssPerStreamKiB: proc ? (peak - base) / n / 1024 : undefined,
    cpuUsPerChunk: cpu === undefined ? undefined : (cpu * 1e6) / Math.max(1, r.chunks),
    openCpuUsPerChunk: cpuPerChunkBetween(marks[0], marks[1]),
    saturatedSeconds: proc ? busySeconds(cpuSamples) : undefined,
    upstreamCpuUsPerChunk: perChunk((up.proc.cpuSeconds() - up0) * 1e6),
    clientCpuUsPerChunk: perChunk(client.user + client.system),
    loopP50: loop?.p50,
    loopP99: loop?.p99,
    loopMax: loop?.max,
  };
}

const keepsCadence = (run, cadenceMs) => run.failed === 0 && run.latenessP99 <= cadenceMs;

function describe(run) {
  const failed = run.failed ? `, ${run.failed} FAILED ${JSON.stringify(run.failures)}` : '';
  return (
    `chunk delay p50 ${run.delayP50.toFixed(1)} p99 ${run.delayP99.toFixed(1)} max ${run.delayMax.toFixed(1)} ms, ` +
    `lateness p99 ${run.latenessP99.toFixed(1)} ms, first chunk p99 ${run.ttfcP99.toFixed(1)} ms` +
    `${run.cpuUsPerChunk === undefined ? '' : `, CPU ${run.cpuUsPerChunk.toFixed(1)} µs per chunk`}` +
    `${run.openCpuUsPerChunk === undefined ? '' : ` (${run.openCpuUsPerChunk.toFixed(1)} with every stream open)`}` +
    `${run.saturatedSeconds === undefined ? '' : `, its core ≥ 95 % busy for ${run.saturatedSeconds.toFixed(1)} s`}${failed}`
  );
}

/** How long each target's unmeasured warm-up streams last (runStreams). */
export const WARM_UP_SECONDS = 3;

/**
 * Every count in ascending order, `rounds` interleaved runs each, direct first in every round. A count where the
 * direct run loses cadence (a failure, or lateness p99 over `cadenceMs`) ends the mode: its gateways are not run.
 *
 * Before its first round each target holds the smallest count of streams for WARM_UP_SECONDS, unmeasured. The
 * bench's load warm-up compiles the request path, but not what only thousands of held streams reach: connections
 * accepted and opened by the thousand, the upstream pool and the heap grown to hold them. A first run pays for
 * those (aigw + tenant, 2,000 streams after 200 held ones: 47 µs per chunk, its V8 helper threads 2–3.6x busier;
 * 35.5–38.4 in the five runs after), which is a gateway's start, not what a chunk costs.
 */
export async function runStreams({
  targets,
  up,
  counts,
  seconds,
  intervalMs,
  promptKiB,
  promptScript,
  rampMs,
  cadenceMs,
  rounds,
  headers,
  log,
}) {
  const out = {};
  const direct = targets.find((t) => t.name === 'direct');
  const gateways = targets.filter((t) => t !== direct);
  /** Each gateway's RSS before its first held streams: before the warm-up, so what that grew counts too. */
  const rssBase = {};
  const warmN = Math.min(...counts);
  for (const t of targets) {
    if (t.proc) rssBase[t.name] = t.proc.rssBytes();
    log(`streams: warm-up, ${warmN} streams for ${WARM_UP_SECONDS} s through ${t.label}, not measured`);
    try {
      if (!(await drained(up.url))) throw new Error('the upstream still holds streams from the previous run after 15 s');
      const r = await alone(targets, t, () =>
        holdPaced({ target: t, n: warmN, ms: WARM_UP_SECONDS * 1000, intervalMs, promptKiB, promptScript, rampMs, headers }),
      );
      if (r.failed) log(`  ! warm-up: ${r.failed} of ${warmN} streams failed ${JSON.stringify(r.failures)}`);
    } catch (e) {
      // Its measured runs report what went wrong (a gateway that died fails them, not the bench).
      log(`  ! warm-up: ${String(e?.message ?? e)}`);
    }
  }
  const run = async (t, n, r) => {
    log(`streams ${n}, round ${r + 1}/${rounds}: ${t.label}`);
    try {
      const result = await alone(targets, t, () =>
        streamRun({ target: t, up, n, seconds, intervalMs, promptKiB, promptScript, rampMs, headers, rssBase: rssBase[t.name] }),
      );
      log(`  ${describe(result)}`);
      return result;
    } catch (e) {
      // A gateway that dies (or a probe that no longer answers) fails its run, not the whole bench.
      const why = t.proc && !t.proc.alive() ? `${t.label} exited (stderr: ${t.proc.errFile})` : String(e?.message ?? e);
      log(`  ! ${why}`);
      return { n, ok: 0, failed: n, failures: { [why]: n } };
    }
  };
  for (const n of [...counts].sort((a, b) => a - b)) {
    const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
    let kept = true;
    for (let r = 0; r < rounds && kept; r++) {
      runs.direct.push(await run(direct, n, r));
      kept = keepsCadence(runs.direct.at(-1), cadenceMs);
      if (!kept) break;
      const k = r % Math.max(1, gateways.length);
      for (const t of [...gateways.slice(k), ...gateways.slice(0, k)]) runs[t.name].push(await run(t, n, r));
    }
    const medians = Object.fromEntries(
      Object.entries(runs)
        .filter(([, rs]) => rs.length)
        .map(([name, rs]) => [name, mediansOf(rs)]),
    );
    out[n] = { n, directKeepsCadence: kept, runs, medians };
    if (!kept) {
      log(
        `streams ${n}: the direct baseline lost cadence (lateness p99 over ${cadenceMs} ms, or a failed stream), so the ` +
          'gateways were not run at this count or any larger one',
      );
      break;
    }
  }
  return out;
}

/**
 * The live heap a held stream costs a Node gateway (`--heap` with `--streams`): snapshots, each after a full GC,
 * before `n` paced streams open and once they are all held; (reachable after − before) ÷ n. Steady where RSS is
 * not — RSS keeps what the process grew to earlier and the garbage the last GC left. A snapshot stalls the
 * gateway for a while, so this run is measured for nothing else.
 */
export async function heldStreamHeap({ target, up, n, intervalMs, promptKiB = 0, promptScript, rampMs, headers, dir }) {
  if (!(await drained(up.url))) throw new Error('the upstream still holds streams from the previous run after 15 s');
  const snapshot = async (label) =>
    (await target.proc.probe('heap', { file: join(dir, `${target.name}.streams-${n}-${label}.heapsnapshot`) })).file;
  const before = await snapshot('before');
  // Held long enough to be snapshotted whole: the ramp, two seconds, then a few for the snapshot itself.
  const held = holdPaced({ target, n, ms: rampMs + 8000, intervalMs, promptKiB, promptScript, rampMs, headers });
  await sleep(rampMs + 2000);
  const after = await snapshot('held');
  const r = await held;
  const [a, b] = [readSnapshot(before), readSnapshot(after)];
  // Streams that failed were not held: they are not in the growth.
  const heldN = Math.max(1, n - r.failed);
  return { n, failed: r.failed, heapPerStreamKiB: (b.totalBytes - a.totalBytes) / heldN / 1024, before, after };
}
