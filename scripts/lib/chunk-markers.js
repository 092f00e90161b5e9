// Finds bench-upstream's `@SCHEDULED,SENT;` stamps (µs) and the closing `data: [DONE]` in a body read in pieces
// split anywhere — without decoding it to strings, so a client can follow thousands of streams at once.

const DONE = Buffer.from('data: [DONE]');
const MAX_DIGITS = 16;

export class MarkerScanner {
  /** `onMarker(scheduledUs, sentUs)` is called once per complete stamp, in order. */
  constructor(onMarker) {
    this.onMarker = onMarker;
    this.state = 0; // 0 looking for '@', 1 reading SCHEDULED, 2 reading SENT
    this.a = 0;
    this.b = 0;
    this.digits = 0;
    this.partial = 0; // bytes of `data: [DONE]` that ended the previous piece
    this.done = false;
  }

  /** Scans buf[start, end). */
  scan(buf, start, end) {
    let i = start;
    while (i < end) {
      if (this.state === 0) {
        const at = buf.indexOf(0x40, i);
        if (at < 0 || at >= end) break;
        this.state = 1;
        this.a = 0;
        this.b = 0;
        this.digits = 0;
        i = at + 1;
        continue;
      }
      const c = buf[i++];
      if (c >= 0x30 && c <= 0x39) {
        if (++this.digits > MAX_DIGITS) this.state = 0;
        else if (this.state === 1) this.a = this.a * 10 + (c - 0x30);
        else this.b = this.b * 10 + (c - 0x30);
      } else if (c === 0x2c && this.state === 1 && this.digits > 0) {
        this.state = 2;
        this.digits = 0;
      } else if (c === 0x3b && this.state === 2 && this.digits > 0) {
        this.state = 0;
        this.onMarker(this.a, this.b);
      } else {
        this.state = 0;
        if (c === 0x40) i--; // a new stamp may start right here
      }
    }
    if (!this.done) this.findDone(buf, start, end);
  }

  /** `data: [DONE]` within the range, or completing a prefix of it that ended the previous range. */
  findDone(buf, start, end) {
    const n = DONE.length;
    if (this.partial > 0) {
      const need = n - this.partial;
      const have = Math.min(need, end - start);
      if (buf.compare(DONE, this.partial, this.partial + have, start, start + have) === 0) {
        if (have === need) {
          this.done = true;
          return;
        }
        this.partial += have;
        return;
      }
      this.partial = 0;
    }
    const at = buf.indexOf(DONE, start);
    if (at >= 0 && at + n <= end) {
      this.done = true;
      return;
    }
    // The longest suffix of this range that begins `data: [DONE]`.
    for (let k = Math.min(n - 1, end - start); k > 0; k--) {
      if (buf[end - 1] === DONE[k - 1] && buf.compare(DONE, 0, k, end - k, end) === 0) {
        this.partial = k;
        return;
      }
    }
  }
}
