/**
 * The inter-token gaps a load keeps over its whole run. Each stream keeps at most MAX_ITL_SAMPLES of its own
 * (exchange.ts), but the records stay for the run and nothing bounded their sum: a target that answers every stream in
 * 100,000 tiny events had each record hold ~1 MB of gaps, stream after stream — a few hundred MB a minute, until the
 * metrics' flatMap and sort of them all (a copy each) ran the bench out of memory, or past V8's largest array, with no
 * report written. Past the bound the run keeps a systematic sample: the gaps whose place in the run (in the order the
 * records came) is a multiple of a stride that doubles as needed — every gap equally likely kept, whichever stream it
 * came from, so the percentiles stay those of all the gaps.
 */
import type { RequestRecord } from './record.js';

/** The most gaps a run keeps: 8 MB of doubles, and as much again for the sort that reads them. */
export const MAX_RUN_ITL = 1_000_000;

interface Held {
  r: RequestRecord;
  /** The run-wide place of `r.itl[0]`; `r.itl[j]` is at `first + j × stride`. */
  first: number;
}

export class ItlBudget {
  /** Gaps seen in the run (the place the next record's first gap takes). */
  private seen = 0;
  /** Kept: the gaps whose place is a multiple of this (a power of two). */
  private stride = 1;
  private kept = 0;
  private held: Held[] = [];

  constructor(private readonly max = MAX_RUN_ITL) {}

  /** Thins a finished record's gaps to the run's stride, and the run's to at most `max`. */
  take(r: RequestRecord): void {
    const gaps = r.itl;
    if (!gaps?.length) return;
    const base = this.seen;
    this.seen += gaps.length;
    const first = Math.ceil(base / this.stride) * this.stride;
    r.itl = this.stride === 1 ? gaps : gaps.filter((_, j) => (base + j) % this.stride === 0);
    if (!r.itl.length) return;
    this.held.push({ r, first });
    this.kept += r.itl.length;
    while (this.kept > this.max) this.halve();
  }

  /** Doubles the stride: each record keeps the gaps at the places that are multiples of the new one. */
  private halve(): void {
    const stride = this.stride * 2;
    this.kept = 0;
    const held: Held[] = [];
    for (const h of this.held) {
      // The places are first, first + s, first + 2s, …: every other one, from the first that the new stride divides.
      const skip = h.first % stride === 0 ? 0 : 1;
      h.r.itl = h.r.itl!.filter((_, j) => j % 2 === skip);
      if (!h.r.itl.length) continue;
      h.first += skip * this.stride;
      this.kept += h.r.itl.length;
      held.push(h);
    }
    this.held = held;
    this.stride = stride;
  }
}
