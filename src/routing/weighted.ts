/**
 * Smooth weighted round-robin (nginx's algorithm): over any run of sum(weights) picks each target gets
 * exactly its weight, interleaved as evenly as possible — a 95/5 canary is 95/5 over every 100 requests,
 * not just on average. Deterministic, so tests assert exact sequences. Ineligible (ejected) targets are
 * skipped and the shares renormalise over the rest.
 */
export class SmoothWeighted {
  private readonly current: Float64Array;

  constructor(private readonly weights: readonly number[]) {
    this.current = new Float64Array(weights.length);
  }

  /** The index picked, or -1 when no eligible target has weight. */
  pick(eligible: (index: number) => boolean): number {
    let best = -1;
    let total = 0;
    const w = this.weights;
    const cur = this.current;
    for (let i = 0; i < w.length; i++) {
      if (w[i]! <= 0 || !eligible(i)) continue;
      cur[i]! += w[i]!;
      total += w[i]!;
      if (best < 0 || cur[i]! > cur[best]!) best = i;
    }
    if (best >= 0) cur[best]! -= total;
    return best;
  }
}
