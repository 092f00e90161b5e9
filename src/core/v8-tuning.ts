/**
 * V8 as a long-running proxy wants it. Allocation-site pretenuring guesses, from how many of an object
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
