// bench:overhead --cpu-prof DIR and --heap: a CPU profile of each Node gateway during one extra, unmeasured round
// of each load, and heap snapshots before and after the load rounds, each summarised where the lead reads it.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alone } from './alone.js';
import { analyzeCpuProfile, formatCpuTop } from './cpuprofile-top.js';
import { formatHeapGrowth, heapGrowth, readSnapshot } from './heap-diff.js';

const probed = (targets) => targets.filter((t) => t.proc?.probe);

/**
 * For each Node gateway and each phase ({ name, run(target) }): profile the gateway while the phase runs,
 * write DIR/TARGET.PHASE.cpuprofile (open it in Chrome DevTools or speedscope) and print its top functions.
 */
export async function cpuProfiles({ targets, dir, intervalUs, phases, top, log }) {
  mkdirSync(dir, { recursive: true });
  const out = [];
  for (const t of probed(targets)) {
    for (const phase of phases) {
      const file = join(dir, `${t.name}.${phase.name}.cpuprofile`);
      await t.proc.probe('cpu-start', { intervalUs });
      await alone(targets, t, () => phase.run(t));
      await t.proc.probe('cpu-stop', { file });
      const analysis = analyzeCpuProfile(JSON.parse(readFileSync(file, 'utf8')));
      log(`\nCPU profile: ${t.label}, ${phase.name} (${file})\n${formatCpuTop(analysis, top)}`);
      out.push({ target: t.name, phase: phase.name, file, busyMs: analysis.busyUs / 1000, top: analysis.functions.slice(0, top) });
    }
  }
  return out;
}

/** Heap snapshots of every Node gateway, named DIR/TARGET.LABEL.heapsnapshot (a snapshot forces a full GC). */
export async function heapSnapshots(targets, dir, label) {
  mkdirSync(dir, { recursive: true });
  const files = {};
  for (const t of probed(targets))
    files[t.name] = (await t.proc.probe('heap', { file: join(dir, `${t.name}.${label}.heapsnapshot`) })).file;
  return files;
}

/** Prints and returns, per gateway, the constructors whose retained size grew most between two snapshot sets. */
export function heapReport(targets, before, after, top, log) {
  const out = {};
  for (const t of probed(targets)) {
    if (!before[t.name] || !after[t.name]) continue;
    const a = readSnapshot(before[t.name]);
    const b = readSnapshot(after[t.name]);
    log(`\nheap: ${t.label} (${before[t.name]} → ${after[t.name]})\n${formatHeapGrowth(a, b, top)}`);
    out[t.name] = {
      before: before[t.name],
      after: after[t.name],
      totalBytes: [a.totalBytes, b.totalBytes],
      growth: heapGrowth(a, b).slice(0, 40),
    };
  }
  return out;
}
