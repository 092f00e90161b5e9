/**
 * Time to first token per target as a peak-sensitive EWMA, Finagle's and Linkerd's "peak EWMA": an
 * observation above the estimate replaces it at once (a backend that turns slow loses traffic on its first
 * slow answer), one below blends in with weight 1 − e^(−Δt/τ), and with no news the estimate decays toward
 * zero, e^(−Δt/τ) — so a backend that gets no traffic because it was slow is retried after about
 * τ·ln(slow/normal) and, if it has recovered, wins its traffic back.
 *
 * τ = 5 s (Finagle and Linkerd use 10 s): a backend that was 5× slower is retried within τ·ln 5 ≈ 8 s of
 * its last slow answer — the `latency` acceptance asks for traffic back within 10 s of recovering.
 * Memory: one small record per target id, at most `maxTargets` (the oldest forgotten first).
 */
export const TTFT_DECAY_MS = 5000;

interface Record_ {
  cost: number;
  stamp: number;
}

export class PeakEwma {
  private readonly byId = new Map<string, Record_>();

  constructor(
    readonly decayMs = TTFT_DECAY_MS,
    readonly maxTargets = 4096,
  ) {}

  /** The estimate at `now` in ms; 0 when the target has no history (or it has decayed away entirely). */
  estimate(id: string, now: number): number {
    const r = this.byId.get(id);
    if (!r) return 0;
    return r.cost * Math.exp(-Math.max(0, now - r.stamp) / this.decayMs);
  }

  /** Records one observation (a TTFT, or the time until an attempt failed) in ms at `now`. */
  observe(id: string, ms: number, now: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const r = this.byId.get(id);
    if (!r) {
      if (this.byId.size >= this.maxTargets) this.byId.delete(this.byId.keys().next().value!);
      this.byId.set(id, { cost: ms, stamp: now });
      return;
    }
    const dt = Math.max(0, now - r.stamp);
    const w = Math.exp(-dt / this.decayMs);
    const current = r.cost * w;
    r.cost = ms > current ? ms : current * w + ms * (1 - w);
    r.stamp = Math.max(now, r.stamp);
  }

  /**
   * Records a time known only to be at least the quantity's (a non-streamed answer's head: its first token came no
   * later): it lowers an estimate it is below, as an observation would, and never raises one or starts one.
   */
  bound(id: string, ms: number, now: number): void {
    if (ms < this.estimate(id, now)) this.observe(id, ms, now);
  }

  get size(): number {
    return this.byId.size;
  }
}
