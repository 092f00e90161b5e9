/**
 * Memory given back once a server goes quiet. V8's memory reducer returns what a busy period left — old-space
 * garbage no full collection came for, a young generation grown to its cap — only when a full collection has
 * armed it and it then sees the allocation rate fall, which it reads at collections: a gateway idling on
 * keep-alive connections allocates too little to collect (not once in 30 s of quiet here), so the memory stays.
 * Measured (aigw, two loads of 10 s at 50 connections, RSS 30 s after them): nothing done, 151 MiB, as after the
 * loads; one young collection 2 s into the quiet, ~82 MiB in 4 runs of 6; one full collection, 81 MiB in 3 of 3.
 * So when the event loop, busy in one check, is then quiet for QUIET_CHECKS in a row, one full collection runs (it
 * marks only what lives, ~20 MiB: milliseconds, once, while nothing waits), at most once per MIN_SPACING_CHECKS,
 * and the reducer decides the rest.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the event loop's utilisation is read. */
export const IDLE_CHECK_MS = 2000;
/** A check with the loop busy at least this share of the time counts as busy; below it, quiet. */
export const BUSY_UTILISATION = 0.01;

/** Checks between two collections at least (30 s): traffic in bursts does not buy a full collection each. */
export const MIN_SPACING_CHECKS = 15;

/**
 * Quiet checks in a row before a collection (10 s). A full collection while no request is in flight cost the
 * next load its optimized code: measured with `--trace-deopt` under bench:pair's alternating 2 s loads, ~150
 * functions were marked for deoptimization ("code dependencies") at each one and re-optimized in the next load,
 * which ran at 2–3× the CPU per stream, once every ~30 s. The likely mechanism (inferred, not traced in V8): with
 * no request alive, the object shapes (maps) of what a request makes die, and the code built on them with them.
 * After a pause of 2 s traffic comes back; after 10 s of quiet a gateway is idle.
 */
export const QUIET_CHECKS = 5;

/** The quiet-after-busy edge, one check at a time: true when a collection is due. */
export class IdleEdge {
  private busy = false;
  private quiet = 0;
  private sinceCollection = MIN_SPACING_CHECKS;

  check(utilisation: number): boolean {
    this.sinceCollection++;
    if (utilisation >= BUSY_UTILISATION) {
      this.busy = true;
      this.quiet = 0;
      return false;
    }
    this.quiet++;
    if (!this.busy || this.quiet < QUIET_CHECKS || this.sinceCollection < MIN_SPACING_CHECKS) return false;
    this.busy = false;
    this.quiet = 0;
    this.sinceCollection = 0;
    return true;
  }
}

/**
 * V8's full collection, or undefined where it cannot be had. Unless the user exposed `gc` already,
 * it is exposed only in a context made while the flag is on — not in the program's own global — and the flag is
 * turned off again at once.
 */
export function fullCollection(): (() => void) | undefined {
  // Exposed by the user (node --expose-gc): theirs to keep, flag and all.
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Runs `collect` when a quiet check follows a busy one (IdleEdge: spaced). Returns a stop function. */
export function collectWhenQuiet(collect: (() => void) | undefined = fullCollection()): () => void {
  if (!collect) return () => {};
  const edge = new IdleEdge();
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (edge.check(utilization)) collect();
  }, IDLE_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
