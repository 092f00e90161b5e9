// What a gateway's CPU did while the concurrent-streams mode held its streams: the relay's own cost per chunk, read
// while every stream is open (the whole run's figure also pays the ramp's request setup), and how long one core was
// saturated (past that, every queue in the gateway grows and the time to first chunk with it).

/** A second off each side of the window: stream starts and ends are spread by timers, not exact. */
const EDGE_MS = 1000;

/**
 * The span (ms from the first stream's opening) in which every stream is open — after the ramp, before the first
 * stream ends — trimmed by a second each side; undefined when under two seconds remain.
 */
export function allOpenWindow(rampMs, streamMs) {
  const from = rampMs + EDGE_MS;
  const to = streamMs - EDGE_MS;
  return to - from >= 2 * EDGE_MS ? { from, to } : undefined;
}

/** Seconds in which the process used at least `share` of one core, from samples `{ ms, cpuSeconds }` in time order. */
export function busySeconds(samples, share = 0.95) {
  let s = 0;
  for (let i = 1; i < samples.length; i++) {
    const wall = (samples[i].ms - samples[i - 1].ms) / 1000;
    if (wall > 0 && (samples[i].cpuSeconds - samples[i - 1].cpuSeconds) / wall >= share) s += wall;
  }
  return s;
}

/** CPU µs per chunk between two marks `{ cpuSeconds, chunks }`; undefined without both or without chunks between. */
export function cpuPerChunkBetween(a, b) {
  if (!a || !b || b.chunks <= a.chunks) return undefined;
  return ((b.cpuSeconds - a.cpuSeconds) * 1e6) / (b.chunks - a.chunks);
}
