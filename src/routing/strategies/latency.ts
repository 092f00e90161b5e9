/**
 * `latency`: power of two choices on Finagle's peak-EWMA cost — TTFT estimate × (in flight + 1) / weight —
 * so a replica that turns slow loses traffic on its first slow answer, one that is merely busy loses it in
 * proportion, and a recovered one wins it back as its estimate decays (peak-ewma.ts). Use it when replicas
 * differ or degrade: mixed hardware, a noisy neighbour, a backend that slows under its own load, hosted
 * APIs with variable latency. A replica without history — no first token, failure or non-streamed answer's head
 * yet (peak-ewma.ts) — costs 0 (it is probed) unless requests are already in flight to it, then it costs more than
 * any measured one, so a new or restarted replica is tried once without being flooded. Ties go to the first drawn.
 */
import type { PeakEwma } from '../peak-ewma.js';
import { type Candidate, drawTwo, type RequestFacts, type Strategy } from './candidate.js';

/** The cost of an unmeasured replica with requests in flight: above any real TTFT (ms). */
const UNMEASURED_PENALTY = 1e9;

export function latencyCost(c: Candidate, ttft: PeakEwma, facts: RequestFacts): number {
  const estimate = ttft.estimate(c.id, facts.now);
  if (estimate === 0) return c.inflight === 0 ? 0 : UNMEASURED_PENALTY + c.inflight;
  return (estimate * (c.inflight + 1)) / c.weight;
}

export const pickLatency: Strategy<PeakEwma> = (candidates, ttft, facts, rng) => {
  const [a, b] = drawTwo(candidates, rng);
  if (b < 0) return a;
  return latencyCost(candidates[b]!, ttft, facts) < latencyCost(candidates[a]!, ttft, facts) ? b : a;
};
