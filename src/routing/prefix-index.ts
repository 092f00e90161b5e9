/**
 * The gateway's approximate index of which prompt blocks it sent where: per target, an LRU of block keys
 * (prompt-blocks.ts), as the Gateway API Inference Extension's prefix scorer keeps it. It guesses what each
 * backend's prefix cache holds from the traffic alone — no scraping, no events from the backends — and
 * errs both ways: a backend may have evicted what the index remembers, or cached what another gateway
 * replica sent. Bounded: at most `capacityPerTarget` keys per target and `maxTargets` targets, so memory
 * stays under capacityPerTarget × maxTargets keys whatever the traffic; lookups and records are O(blocks).
 */
import { LruSet } from '../core/lru-set.js';

/**
 * 31,250 blocks per target, the Inference Extension's default: a Llama-3-8B on an H100 caches about 500k
 * tokens = 31,250 blocks of 16 tokens.
 */
export const PREFIX_INDEX_CAPACITY = 31_250;

export class PrefixIndex {
  private readonly byTarget = new Map<string, LruSet>();

  constructor(
    readonly capacityPerTarget = PREFIX_INDEX_CAPACITY,
    readonly maxTargets = 256,
  ) {}

  /** How many leading blocks of `blocks` the index believes target `id` holds. */
  matchLength(id: string, blocks: readonly number[]): number {
    const lru = this.byTarget.get(id);
    if (!lru) return 0;
    let n = 0;
    while (n < blocks.length && lru.has(blocks[n]!)) n++;
    return n;
  }

  /** The target was sent these blocks: it holds them now, the head most recently used (evicted last). */
  record(id: string, blocks: readonly number[]): void {
    if (blocks.length === 0) return;
    let lru = this.byTarget.get(id);
    if (!lru) {
      if (this.byTarget.size >= this.maxTargets) this.byTarget.delete(this.byTarget.keys().next().value!);
      lru = new LruSet(this.capacityPerTarget);
      this.byTarget.set(id, lru);
    }
    // More blocks than the capacity: only the head can ever be matched, so only the head is kept.
    for (let i = Math.min(blocks.length, this.capacityPerTarget) - 1; i >= 0; i--) lru.touch(blocks[i]!);
  }

  /** Keys held, all targets together. */
  get size(): number {
    let n = 0;
    for (const lru of this.byTarget.values()) n += lru.size;
    return n;
  }
}
