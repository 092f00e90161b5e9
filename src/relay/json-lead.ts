/**
 * What a JSON body opens with before its first value: a byte-order mark and JSON whitespace, which say nothing of
 * what follows, however much of it comes. The exchange tells an error object from a 2xx body's first bytes
 * (exchange.ts errorAnswerIn, at most MAX_HEAD of them); a backend that put 5,000 spaces first had its error —
 * echoing the gateway's key — taken for an answer and passed through whole. The lead is counted and dropped as it
 * comes (nothing held, however long), and given back before the answer as the same number of bytes: the mark, then
 * spaces — the same length (a content-length stays true) and the same JSON.
 */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const SPACES = Buffer.alloc(64 * 1024, 0x20);

const isBlank = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Whether `chunk` opens with what a JsonLead drops (the first bytes of a body). */
export function opensWithLead(chunk: Buffer): boolean {
  return isBlank(chunk[0]) || (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf);
}

export class JsonLead {
  private bom = false;
  private blanks = 0;

  /**
   * `chunk` without the lead it opens with (it carries on from the lead dropped before it). A mark is only the
   * body's first bytes; one split across reads is left for the caller to hold (a partial mark is not dropped).
   */
  skip(chunk: Buffer): Buffer {
    let i = 0;
    if (!this.bom && this.blanks === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
      this.bom = true;
      i = 3;
    }
    const from = i;
    while (i < chunk.length && isBlank(chunk[i])) i++;
    this.blanks += i - from;
    return i === 0 ? chunk : chunk.subarray(i);
  }

  /** The lead, as `push` takes it, in pieces of at most 64 KiB; stops at the first outcome push returns. */
  giveBack<T>(push: (piece: Buffer) => T | undefined): T | undefined {
    let early: T | undefined;
    if (this.bom) {
      this.bom = false;
      early = push(BOM);
    }
    while (early === undefined && this.blanks > 0) {
      const n = Math.min(this.blanks, SPACES.length);
      this.blanks -= n;
      early = push(SPACES.subarray(0, n));
    }
    return early;
  }
}
