// Preloaded (`node --import`) into a Node gateway under test: answers the bench over the IPC channel with its
// event-loop delay, memory, a CPU profile of a chosen window and heap snapshots — the same for aigw and the bare
// proxy, without touching either's code. Costs nothing until asked (no timer, no inspector session).
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GCProfiler, getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const RESOLUTION_MS = 10;
let loop;
let session;
let gcProfiler;

/** A space's used bytes in one of GCProfiler's before/after readings. */
const usedIn = (reading, space) => reading.heapSpaceStatistics.find((x) => x.spaceName === space)?.spaceUsedSize ?? 0;

const handlers = {
  'loop-start'() {
    loop?.disable();
    loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    loop.enable();
    return {};
  },
  /** Delays in ms beyond the timer's own period (the histogram records the whole period). */
  'loop-read'() {
    if (!loop) throw new Error('loop-start first');
    const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    return { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), samples: loop.count };
  },
  memory() {
    return process.memoryUsage();
  },
  /** V8's heap spaces of the main thread: what is committed (in RSS) and what is live, per space. */
  'heap-spaces'() {
    return Object.fromEntries(
      getHeapSpaceStatistics().map((s) => [s.space_name, { committed: s.physical_space_size, used: s.space_used_size }]),
    );
  },
  async 'cpu-start'({ intervalUs = 200 }) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    return {};
  },
  async 'cpu-stop'({ file }) {
    if (!session) throw new Error('cpu-start first');
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    writeFileSync(file, JSON.stringify(profile));
    return { file };
  },
  /**
   * Samples every allocation from now on, garbage included (what makes V8 grow its young generation); with
   * `young: false`, what a young collection frees is left out: what outlived the young generation (promoted, then
   * left for a full collection to sweep, or still alive).
   */
  async 'alloc-start'({ intervalBytes = 16 * 1024, young = true }) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: young,
    });
    return {};
  },
  async 'alloc-stop'({ file }) {
    if (!session) throw new Error('alloc-start first');
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    session = undefined;
    writeFileSync(file, JSON.stringify(profile));
    return { file };
  },
  /** Every garbage collection from now on, as V8 reports it (its cost, each space before and after). */
  'gc-start'() {
    gcProfiler?.stop();
    gcProfiler = new GCProfiler();
    gcProfiler.start();
    return {};
  },
  /**
   * What the collections since gc-start cost and kept: scavenges (count, pause µs in all, bytes they moved to
   * old space — a young object that outlived two of them — and bytes still young after them) and full collections.
   */
  'gc-stop'() {
    if (!gcProfiler) throw new Error('gc-start first');
    const { statistics } = gcProfiler.stop();
    gcProfiler = undefined;
    const out = { scavenges: 0, scavengeUs: 0, promotedBytes: 0, survivedBytes: 0, fullGcs: 0, fullGcUs: 0 };
    for (const g of statistics) {
      if (g.gcType === 'Scavenge') {
        out.scavenges++;
        out.scavengeUs += g.cost;
        out.promotedBytes += Math.max(0, usedIn(g.afterGC, 'old_space') - usedIn(g.beforeGC, 'old_space'));
        out.survivedBytes += usedIn(g.afterGC, 'new_space');
      } else if (g.gcType === 'MarkSweepCompact') {
        out.fullGcs++;
        out.fullGcUs += g.cost;
      }
    }
    return out;
  },
  heap({ file }) {
    return { file: writeHeapSnapshot(file) };
  },
};

if (process.send) {
  process.on('message', async (m) => {
    if (typeof m !== 'object' || m === null || typeof m.probe !== 'string' || !Object.hasOwn(handlers, m.probe)) return;
    try {
      process.send({ probeReply: m.id, ok: true, value: await handlers[m.probe](m) });
    } catch (e) {
      process.send({ probeReply: m.id, ok: false, error: String(e?.message ?? e) });
    }
  });
  // The channel must not keep a gateway alive that would otherwise exit.
  process.channel?.unref();
}
