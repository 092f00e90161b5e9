/**
 * Open-loop arrival times, as `vllm bench serve` draws them: gaps from a gamma distribution with shape
 * `burstiness` and mean 1/rate — burstiness 1 is a Poisson process, lower is burstier, higher steadier.
 * Seeded, so two runs offer the same schedule.
 */
import { Rng } from '../core/hash.js';

/** A standard normal deviate (Box–Muller). */
function normal(rng: Rng): number {
  const u = 1 - rng.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
}

/** A gamma(shape, 1) deviate (Marsaglia–Tsang; shape < 1 boosted by U^(1/shape)). */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * (1 - rng.float()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.float();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Gaps in ms between arrivals at `rate` requests/s with the given burstiness. */
export function arrivalGaps(rate: number, burstiness = 1, seed = 1): () => number {
  const rng = new Rng(seed);
  const scale = 1000 / (rate * burstiness);
  return () => gamma(rng, burstiness) * scale;
}
