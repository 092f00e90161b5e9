/**
 * Bytes held across reads until something completes them: an SSE event, a line, a body. A few pieces are kept as the
 * reads' own views; from the GATHER_FROM-th on, they are copied into one buffer that doubles as it fills (each byte
 * copied a bounded number of times). A view costs ~100 bytes of its own whatever it spans: a backend that sent one
 * event a byte per chunked-encoding chunk made a view a byte — 2.2 GiB held for an event capped at 16 MiB.
 */

/** Pieces kept as views before they are gathered: more than a usual event or body spans reads. */
const GATHER_FROM = 64;
const MIN_GATHER = 4096;

export class HeldBytes {
  private pieces: Buffer[] = [];
  /** Once gathering: `pieces` is one view of this, `bytes` long. */
  private gather: Buffer | undefined;
  /** Bytes held. */
  bytes = 0;

  /** Pieces held (0: nothing). */
  get size(): number {
    return this.pieces.length;
  }

  /** The last byte held, if any. */
  get lastByte(): number | undefined {
    const tail = this.pieces[this.pieces.length - 1];
    return tail?.[tail.length - 1];
  }

  push(piece: Buffer): void {
    if (this.gather === undefined && this.pieces.length < GATHER_FROM) {
      this.pieces.push(piece);
      this.bytes += piece.length;
      return;
    }
    const total = this.bytes + piece.length;
    if (this.gather === undefined || total > this.gather.length) {
      const next = Buffer.allocUnsafe(Math.max(2 * total, MIN_GATHER));
      let at = 0;
      for (let i = 0; i < this.pieces.length; i++) at += this.pieces[i]!.copy(next, at);
      this.gather = next;
    }
    piece.copy(this.gather, this.bytes);
    this.bytes = total;
    this.pieces.length = 1;
    this.pieces[0] = this.gather.subarray(0, total);
  }

  /** Everything held, then `extra`, as one buffer (no copy when one piece is all); nothing is held after. */
  take(extra?: Buffer): Buffer {
    let out: Buffer;
    if (extra === undefined) out = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.bytes);
    else out = this.pieces.length === 0 ? extra : Buffer.concat([...this.pieces, extra], this.bytes + extra.length);
    this.clear();
    return out;
  }

  clear(): void {
    // A held stream clears at every read that ends on an event boundary: no new array when there is nothing to drop.
    if (this.pieces.length !== 0) this.pieces = [];
    this.gather = undefined;
    this.bytes = 0;
  }
}
