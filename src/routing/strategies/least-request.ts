/**
 * `least-request`: power of two choices on in-flight requests (Envoy's LEAST_REQUEST, Mitzenmacher's P2C):
 * draw two replicas (by weight), send to the one with fewer requests in flight per unit of weight. O(1),
 * no shared scan, and close to the best possible balance — the longest queue stays near log log n.
 * Use it when requests differ a lot in length (long generations next to short ones), so that counting
 * requests (weighted) piles work on whichever replica drew the long ones. Ties go to the first drawn, so
 * the choice is a function of the seed.
 */
import { drawTwo, loadOf, type Strategy } from './candidate.js';

export const pickLeastRequest: Strategy<unknown> = (candidates, _state, _facts, rng) => {
  const [a, b] = drawTwo(candidates, rng);
  if (b < 0) return a;
  return loadOf(candidates[b]!) < loadOf(candidates[a]!) ? b : a;
};
