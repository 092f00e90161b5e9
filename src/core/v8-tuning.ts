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
 */
import { setFlagsFromString } from 'node:v8';

let tuned = false;

/** Call before serving: decisions V8 has made already are kept. */
export function tuneV8ForServing(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString('--no-allocation-site-pretenuring');
}

const SEMI_SPACE_GROWTH = '--semi-space-growth-factor';
/** V8's default, from Node 20 to 24. */
const DEFAULT_SEMI_SPACE_GROWTH = 2;

/**
 * Loads a command's modules with the young generation kept at its initial size. Loading allocates ~20 MB
 * that mostly lives on (module code, schemas): each scavenge then sees a high survival rate and V8 doubles
 * the young generation, to 2 x 16 MiB by the time the server listens, ~12 MiB of it committed and empty
 * until the memory reducer runs after several idle seconds (measured: RSS 80 MiB idle, 68 once reduced;
 * 71 with this). Growth is restored once loaded, so under load the young generation grows as before. A
 * growth factor set by the user (NODE_OPTIONS or the command line) is left alone.
 */
export async function loadWithSmallYoungGeneration<T>(load: () => Promise<T>): Promise<T> {
  const userSet = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /semi[-_]space[-_]growth/.test(a));
  if (userSet) return load();
  setFlagsFromString(`${SEMI_SPACE_GROWTH}=1`);
  try {
    return await load();
  } finally {
    setFlagsFromString(`${SEMI_SPACE_GROWTH}=${DEFAULT_SEMI_SPACE_GROWTH}`);
  }
}
