/**
 * V8 as a long-running proxy wants it.
 *
 * Pretenuring off (tuneV8ForServing): allocation-site pretenuring guesses, from how many of an object
 * literal's objects survive a scavenge, that the literal makes long-lived objects, and from then on
 * allocates them straight in old space. A gateway has a few such literals (the event history keeps 1,024
 * request events), but when one per-request literal is pretenured, its objects — dead as soon as the
 * request ends — keep whatever young objects they point to alive through every scavenge until the next
 * full collection; those survive at 100 %, their literals get pretenured in turn, and soon whole requests
 * are promoted. Measured with `--trace-gc-nvp` under bench:overhead's load with a tenant: ~1 MB promoted
 * per scavenge and 5–7 ms pauses, against 0.1–0.25 MB and ~2 ms with pretenuring off, and 1.2–1.5x the
 * requests/s. Off, objects are promoted only by really surviving two scavenges.
 *
 * Memory given back when quiet (idle-memory.ts): one full collection after a busy period, which arms V8's memory
 * reducer and lets it see the allocation rate fall. Before each, a tick object is taken to hold (tick-shape.ts): a full
 * collection with no tick queued would free their shape and, a few times over, leave process.nextTick megamorphic.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { collectWhenQuiet, fullCollection } from './idle-memory.js';
import { holdTickShape } from './tick-shape.js';

const MiB = 1024 * 1024;
const SEMI_SPACE_GROWTH = '--semi-space-growth-factor';
/** V8's default, from Node 20 to 24. */
const DEFAULT_SEMI_SPACE_GROWTH = 2;
/**
 * The young generation the serving commands (serve, mock-backends) let V8 grow to: semi-spaces of 8 MiB, half
 * V8's default maximum (16). A proxy's young objects live for one request; under 50 connections of load what
 * survives a scavenge is the requests in flight (~1–2 MB), so a larger young generation only runs fewer
 * scavenges of the same cost — and stays resident after the load. Measured (wrk, 50 connections, aigw + tenant,
 * two runs each): RSS after the load 130 and 171 MiB at 16, 115 and 117 at 8; CPU per request 104 and 97 µs at
 * 16, 96 and 100 at 8.
 */
export const SERVING_SEMI_SPACE_MIB = 8;

/** A matching V8 flag on the command line or in NODE_OPTIONS: the user's setting wins over ours. */
function userSet(flag: RegExp): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => flag.test(a));
}
const GROWTH_FLAG = /semi[-_]space[-_]growth/;
const SIZE_FLAGS = /max[-_]semi[-_]space|semi[-_]space[-_]growth/;

let tuned = false;

/** Call before serving: decisions V8 has made already are kept. */
export function tuneV8ForServing(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString('--no-allocation-site-pretenuring');
  capYoungGeneration(SERVING_SEMI_SPACE_MIB);
  holdTickShape();
  const collect = fullCollection();
  collectWhenQuiet(
    collect &&
      (() => {
        holdTickShape();
        collect();
      }),
  );
}

const newSpaceBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/**
 * Keeps the young generation's semi-spaces near `semiSpaceMiB` at most: `--max-semi-space-size` would, but V8
 * reads it only when the process starts, where a `node bin/aigw.js` (or npx) command line has no say. After
 * each collection, growth is turned off once the young generation has reached the cap and back on below it
 * (V8 shrinks it again when idle), so V8 keeps sizing it, within the cap. A soft cap: GC entries reach the
 * observer after the synchronous work that caused them, so one long burst (a request body of megabytes parsed
 * at once) can grow it a step past the cap, where it stays until V8 shrinks it. Returns a stop function, or
 * undefined when the user set a maximum or a growth factor (flags win).
 */
export function capYoungGeneration(semiSpaceMiB: number): (() => void) | undefined {
  if (userSet(SIZE_FLAGS)) return undefined;
  // The new space holds two semi-spaces.
  const cap = 2 * semiSpaceMiB * MiB;
  let factor = DEFAULT_SEMI_SPACE_GROWTH;
  const observer = new PerformanceObserver(() => {
    const wanted = newSpaceBytes() >= cap ? 1 : DEFAULT_SEMI_SPACE_GROWTH;
    if (wanted === factor) return;
    factor = wanted;
    setFlagsFromString(`${SEMI_SPACE_GROWTH}=${wanted}`);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    if (factor !== DEFAULT_SEMI_SPACE_GROWTH) setFlagsFromString(`${SEMI_SPACE_GROWTH}=${DEFAULT_SEMI_SPACE_GROWTH}`);
  };
}

/**
 * Loads a command's modules with the young generation kept at its initial size. Loading allocates ~20 MB
 * that mostly lives on (module code, schemas): each scavenge then sees a high survival rate and V8 doubles
 * the young generation, to 2 x 16 MiB by the time the server listens, ~12 MiB of it committed and empty
 * until the memory reducer runs after several idle seconds (measured: RSS 80 MiB idle, 68 once reduced;
 * 71 with this). Growth is restored once loaded, so under load the young generation grows as before. A
 * growth factor set by the user (NODE_OPTIONS or the command line) is left alone.
 */
export async function loadWithSmallYoungGeneration<T>(load: () => Promise<T>): Promise<T> {
  if (userSet(GROWTH_FLAG)) return load();
  setFlagsFromString(`${SEMI_SPACE_GROWTH}=1`);
  try {
    return await load();
  } finally {
    setFlagsFromString(`${SEMI_SPACE_GROWTH}=${DEFAULT_SEMI_SPACE_GROWTH}`);
  }
}
