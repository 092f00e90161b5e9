/**
 * Bytes held across reads until something completes them: an SSE event, a line, a body. Pieces are kept as the
 * reads' own views — but past GATHER_FROM of them, small ones are copied into a buffer that doubles as it fills
 * (each byte copied a bounded number of times). A view costs ~100 bytes of its own whatever it spans: a backend that
 * sent one event a byte per chunked-encoding chunk made a view a byte — 2.2 GiB held for an event capped at 16 MiB.
 * Large reads stay views: copied, a 50 MiB buffered body was held in a 100 MiB buffer.
 */

/** Pieces kept as views before small ones are gathered: more than a usual event or body spans reads. */
const GATHER_FROM = 64;
/** A read this large is kept as it came: its view costs ~2 % of it at most. */
const SMALL_PIECE = 4096;
const MIN_GATHER = 256;

export class HeldBytes {
  private pieces: Buffer[] = [];
  /** The buffer small pieces are being copied into; its filled part is the last piece. */
  private gather: Buffer | undefined;
  private gathered = 0;
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
    this.bytes += piece.length;
    if (piece.length >= SMALL_PIECE || this.pieces.length < GATHER_FROM) {
      this.pieces.push(piece);
      this.gather = undefined;
      return;
    }
    const total = this.gathered + piece.length;
    if (this.gather === undefined) {
      this.gather = Buffer.allocUnsafe(Math.max(2 * piece.length, MIN_GATHER));
      this.gathered = 0;
      this.pieces.push(this.gather.subarray(0, 0));
      return this.appendGathered(piece, piece.length);
    }
    if (total > this.gather.length) {
      const next = Buffer.allocUnsafe(2 * total);
      this.gather.copy(next, 0, 0, this.gathered);
      this.gather = next;
    }
    this.appendGathered(piece, total);
  }

  /** Copies `piece` after what is gathered (room made), and makes the last piece the gathered bytes. */
  private appendGathered(piece: Buffer, total: number): void {
    piece.copy(this.gather!, this.gathered);
    this.gathered = total;
    this.pieces[this.pieces.length - 1] = this.gather!.subarray(0, total);
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
    this.gathered = 0;
    this.bytes = 0;
  }
}
