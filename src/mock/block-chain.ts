/**
 * Chained block hashes over a token stream, as vLLM's prefix caching keys its KV blocks: the stream is cut
 * into blocks of `blockTokens`, and block i's key hashes its tokens together with block i-1's key (block 0
 * starts from the model name), so equal keys mean equal prefixes, never merely equal blocks.
 * Keys are 53-bit numbers (two 32-bit lanes) so that a million cached blocks do not collide in practice.
 */
import { fnv1a, mix32 } from '../core/hash.js';

export class BlockChain {
  /** Keys of the full blocks seen so far, in order; at most `maxBlocks`. */
  readonly keys: number[] = [];
  private a: number;
  private b: number;
  private filled = 0;

  constructor(
    model: string,
    readonly blockTokens: number,
    /** Hashing stops here: a cache of N blocks can never hold more of one prompt. */
    readonly maxBlocks: number,
  ) {
    this.a = fnv1a(model);
    this.b = fnv1a(model, 0x9747b28c);
  }

  /** True once `maxBlocks` keys exist: further tokens are not hashed. */
  get full(): boolean {
    return this.keys.length >= this.maxBlocks;
  }

  push(ids: ArrayLike<number>): void {
    let { a, b, filled } = this;
    for (let i = 0; i < ids.length && this.keys.length < this.maxBlocks; i++) {
      const t = ids[i]!;
      a = Math.imul(a ^ t, 0x01000193);
      b = Math.imul(b ^ t, 0x5bd1e995);
      b ^= b >>> 15;
      if (++filled === this.blockTokens) {
        a = mix32(a, 0x68e31da4);
        b = mix32(b, a);
        this.keys.push((a >>> 0) * 0x200000 + (b >>> 11));
        filled = 0;
      }
    }
    this.a = a;
    this.b = b;
    this.filled = filled;
  }
}
