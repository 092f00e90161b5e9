/**
 * `latency`: power of two choices on Finagle's peak-EWMA cost — TTFT estimate × (in flight + 1) / weight —
 * so a replica that turns slow loses traffic on its first slow answer, one that is merely busy loses it in
 * proportion, and a recovered one wins it back as its estimate decays (peak-ewma.ts). Use it when replicas
 * differ or degrade: mixed hardware, a noisy neighbour, a backend that slows under its own load, hosted
 * APIs with variable latency. A replica without history costs 0 (it is probed) unless requests are already
 * in flight to it, then it costs more than any replica measured at under 30 s × (in flight + 1), so a new or
 * restarted replica is tried once without being flooded — and less than one that has just failed
 * (routing/feedback.ts recordFailure). Ties go to the first drawn.
 */
import type { PeakEwma } from '../peak-ewma.js';
import { type Candidate, drawTwo, type RequestFacts, type Strategy } from './candidate.js';

/**
 * The cost of an unmeasured replica with requests in flight (ms): above any TTFT a replica that answers shows, and half
 * a failure's penalty when a peer is unmeasured (feedback.ts), so a replica that just failed costs more. Replicas that
 * only ever answer non-streamed generations are never measured (their heads are bounds, peak-ewma.ts): at 1e9, above
 * any penalty, a replica answering 429 at once beat every busy one, and took the first attempt of nearly every request.
 */
export const UNMEASURED_PENALTY = 30_000;

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
