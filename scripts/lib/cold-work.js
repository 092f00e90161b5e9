// What this machine does to work it has not run for a few milliseconds: the same small piece of work (a chat
// request's JSON read and written back, a few µs) timed right after it ran and after a pause. On a VM whose caches
// are shared with other guests the second can be ten times the first — and a paced request (one every ~100 ms)
// always runs that way, so its time to first byte grows with how much code and data a request touches rather than
// with the CPU it costs under load (BENCHMARKS.md). Printed by bench:overhead beside its paced row.
// Usage (the child): node cold-work.js --child SAMPLES GAP_MS
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinned } from './load.js';
import { median } from './stats.js';

const REQUEST = JSON.stringify({
  model: 'bench',
  messages: [{ role: 'user', content: 'Talk slowly. [[mock tps=200]]' }],
  max_tokens: 20,
  stream: true,
  stream_options: { include_usage: true },
});

let sink = 0;
function work() {
  const o = JSON.parse(REQUEST);
  sink += JSON.stringify(o).length + o.messages.length;
}

async function measure(samples, gapMs) {
  for (let i = 0; i < 100_000; i++) work();
  const hot = [];
  const cold = [];
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    let t = performance.now();
    work();
    cold.push(performance.now() - t);
    t = performance.now();
    work();
    hot.push(performance.now() - t);
  }
  return { hotUs: median(hot) * 1000, coldUs: median(cold) * 1000, gapMs, samples, sink };
}

/**
 * Runs the measurement in a process of its own on `cpu` (when taskset exists; undefined: wherever it lands):
 * { hotUs, coldUs, factor, gapMs }, or undefined when the child failed.
 */
export function coldWork({ cpu, samples = 40, gapMs = 5 } = {}) {
  const args = [fileURLToPath(import.meta.url), '--child', String(samples), String(gapMs)];
  const [cmd, argv] = cpu === undefined ? [process.execPath, args] : pinned(cpu, process.execPath, args);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return undefined;
  try {
    const m = JSON.parse(r.stdout);
    if (!(m.hotUs > 0 && m.coldUs > 0)) return undefined;
    return { hotUs: m.hotUs, coldUs: m.coldUs, factor: m.coldUs / m.hotUs, gapMs: m.gapMs };
  } catch {
    return undefined;
  }
}

/** One line for a report. */
export function formatColdWork(m) {
  if (!m) return 'cold work: not measured';
  return (
    `cold work: a request's JSON read and written ${m.hotUs.toFixed(1)} µs right after the last time, ` +
    `${m.coldUs.toFixed(1)} µs after ${m.gapMs} ms of pause (${m.factor.toFixed(1)}×): ` +
    'a paced request pays this on every piece of code and data it touches'
  );
}

if (process.argv[2] === '--child') {
  const m = await measure(Number(process.argv[3]), Number(process.argv[4]));
  process.stdout.write(JSON.stringify(m));
}
