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
  /** A first token was observed: a non-streamed answer's head is a bound on the estimate, no more. */
  measured: boolean;
  /**
   * Until then, non-streamed answers' heads as a plain EWMA (0: none yet), each weighted 1 − e^(−Δt/τ) since the last:
   * the replica's estimate when nothing better is known (estimate).
   */
  head: number;
  headStamp: number;
}

export class PeakEwma {
  private readonly byId = new Map<string, Record_>();

  constructor(
    readonly decayMs = TTFT_DECAY_MS,
    readonly maxTargets = 4096,
  ) {}

  /**
   * The estimate at `now` in ms; 0 when the target has no history (or it has decayed away entirely). A target no
   * first token was observed of costs the larger of its failures' penalty and its answers' heads.
   */
  estimate(id: string, now: number): number {
    const r = this.byId.get(id);
    if (!r) return 0;
    const own = this.decayed(r.cost, r.stamp, now);
    return r.measured || r.head === 0 ? own : Math.max(own, this.decayed(r.head, r.headStamp, now));
  }

  /** Records one time to first token in ms at `now`. */
  observe(id: string, ms: number, now: number): void {
    const r = this.record(id, ms, now);
    if (!r) return;
    this.peak(r, ms, now);
    r.measured = true;
  }

  /** Records the time until an attempt failed, or its penalty (routing/feedback.ts): as a first token, but no measure. */
  penalise(id: string, ms: number, now: number): void {
    const r = this.record(id, ms, now);
    if (r) this.peak(r, ms, now);
  }

  /**
   * Records a non-streamed answer's head `ms` after dispatch: its first token came no later, but how much earlier the
   * client decided (its length). Of a measured target it is a bound: it lowers an estimate it is below, as an
   * observation would, and never raises one. Of one no first token was ever observed — a replica that only answers
   * non-streamed generations — it is the estimate (with its failures'): without one such a replica cost as a new one,
   * above every measured replica once it had a request in flight, and a peer failing at once (a 429) was penalised
   * against nothing and took the first attempt of nearly every request. A plain EWMA, not a peak: one long answer
   * moves it by its share of the time since the last (a replica idle for τ takes most of it, as a peak would).
   */
  answerHead(id: string, ms: number, now: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const r = this.byId.get(id);
    if (r === undefined) {
      if (ms > 0) this.insert(id, { cost: 0, stamp: now, measured: false, head: ms, headStamp: now });
      return;
    }
    if (ms < this.decayed(r.cost, r.stamp, now)) this.peak(r, ms, now);
    if (r.measured) return;
    const w = r.head === 0 ? 0 : Math.exp(-Math.max(0, now - r.headStamp) / this.decayMs);
    r.head = r.head * w + ms * (1 - w);
    r.headStamp = Math.max(now, r.headStamp);
  }

  get size(): number {
    return this.byId.size;
  }

  private decayed(cost: number, stamp: number, now: number): number {
    return cost * Math.exp(-Math.max(0, now - stamp) / this.decayMs);
  }

  /** The target's record, made for a first observation; undefined for a nonsense one. */
  private record(id: string, ms: number, now: number): Record_ | undefined {
    if (!Number.isFinite(ms) || ms < 0) return undefined;
    return this.byId.get(id) ?? this.insert(id, { cost: 0, stamp: now, measured: false, head: 0, headStamp: now });
  }

  private insert(id: string, r: Record_): Record_ {
    if (this.byId.size >= this.maxTargets) this.byId.delete(this.byId.keys().next().value!);
    this.byId.set(id, r);
    return r;
  }

  /** Above the estimate, the observation replaces it; below, it blends in with weight 1 − e^(−Δt/τ). */
  private peak(r: Record_, ms: number, now: number): void {
    const w = Math.exp(-Math.max(0, now - r.stamp) / this.decayMs);
    const current = r.cost * w;
    r.cost = ms > current ? ms : current * w + ms * (1 - w);
    r.stamp = Math.max(now, r.stamp);
  }
}
