/**
 * The vLLM mock's simulated prefix (KV) cache, modelled on vLLM's own and on llm-d's inference simulator:
 * an LRU of `blocks` chained block keys. A request looks up its prompt's leading blocks (at most up to
 * prompt_tokens − 1, since the last token is always computed to get logits, as vLLM does), then stores
 * every full block of its prompt — and, when the answer ends, of prompt + answer, as vLLM keeps generated
 * blocks too. Blocks are refreshed tail first, so eviction takes the end of a prefix before its head (vLLM
 * frees a request's blocks in reverse order for the same reason). Deterministic: the same requests in the
 * same order give the same hits. Not modelled: blocks held by running requests are evictable here.
 */
import { LruSet } from '../core/lru-set.js';
import type { BlockChain } from './block-chain.js';

export class PrefixCache {
  private readonly lru: LruSet;
  hitBlocks = 0;
  missBlocks = 0;
  evictions = 0;

  constructor(
    readonly blocks: number,
    readonly blockTokens: number,
  ) {
    this.lru = new LruSet(blocks);
  }

  /** Looks up a prompt's chain, stores its full blocks, and returns how many prompt tokens were cached. */
  admit(chain: BlockChain, promptTokens: number): number {
    const lookable = Math.min(Math.floor((promptTokens - 1) / this.blockTokens), chain.keys.length);
    let hit = 0;
    while (hit < lookable && this.lru.has(chain.keys[hit]!)) hit++;
    this.hitBlocks += hit;
    this.missBlocks += Math.max(0, lookable - hit);
    this.store(chain);
    return hit * this.blockTokens;
  }

  /** Stores every full block of `chain` (after its answer was pushed), the head most recently used. */
  store(chain: BlockChain): void {
    const keys = chain.keys;
    for (let i = keys.length - 1; i >= 0; i--) if (this.lru.touch(keys[i]!)) this.evictions++;
  }

  get resident(): number {
    return this.lru.size;
  }

  /** vLLM's `POST /reset_prefix_cache`: forget every block (counters stay). */
  clear(): void {
    this.lru.clear();
  }

  resetCounters(): void {
    this.hitBlocks = this.missBlocks = this.evictions = 0;
  }
}
