/**
 * A compact byte-pair encoder over a tiktoken rank file (js-tiktoken's `ranks/*` modules), giving the same ids
 * as js-tiktoken's `Tiktoken.encode(text, [], [])`. js-tiktoken keeps o200k's 200k tokens as comma-joined
 * strings in one Map and as Uint8Arrays in another: about 70 MiB of heap, 150 MiB of RSS and seconds of CPU
 * to build, which the gateway paid on its first count. Here every token's bytes sit in one array, found through
 * an open-addressing table of ints (about 6 MiB, built in tens of milliseconds), and a merge looks ranks up by
 * byte range, with no string per candidate pair.
 */

/** The shape of js-tiktoken's rank modules: a pre-token regex and lines of `NAME OFFSET BASE64 BASE64 …`. */
export interface BpeRanks {
  pat_str: string;
  bpe_ranks: string;
}

export interface BpeEncoder {
  /** The token ids of `text`; special-token text (`<|endoftext|>`) is encoded as ordinary text. */
  encode(text: string): number[];
  /** How many distinct tokens the table holds. */
  readonly size: number;
}

/**
 * Builds the encoder. Self-contained on purpose (no reference to anything outside its body): the tokenizer
 * worker runs this very function, serialised with toString(), like openai/tokens.ts's makeCounter.
 */
export function makeBpeEncoder(ranks: BpeRanks): BpeEncoder {
  const sextet = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) sextet[alphabet.charCodeAt(i)] = i;
  const SPACE = 0x20;
  const NEWLINE = 0x0a;
  let starts = new Uint32Array(1);
  let rankOf = new Uint32Array(0);
  let bytes = new Uint8Array(0);
  /**
   * Reads the file: the first pass only counts tokens and bytes, the second fills arrays of exactly that size.
   * The text is an argument, not a captured variable, so the encoder's closures do not keep its megabytes alive.
   */
  const walk = (src: string, fill: boolean): { count: number; used: number } => {
    let count = 0;
    let used = 0;
    let at = 0;
    while (at < src.length) {
      // A line: a name, an offset, then the tokens of ranks offset, offset + 1, …
      const newline = src.indexOf('\n', at);
      const lineEnd = newline < 0 ? src.length : newline;
      const nameEnd = src.indexOf(' ', at);
      if (nameEnd < 0 || nameEnd >= lineEnd) {
        at = lineEnd + 1;
        continue;
      }
      let p = nameEnd + 1;
      let offset = 0;
      for (; p < lineEnd && src.charCodeAt(p) !== SPACE; p++) {
        const d = src.charCodeAt(p) - 0x30;
        if (d < 0 || d > 9) throw new Error(`bpe ranks: a bad offset near character ${p}`);
        offset = offset * 10 + d;
      }
      let rank = offset;
      while (p < lineEnd) {
        while (p < lineEnd && src.charCodeAt(p) === SPACE) p++;
        if (p >= lineEnd) break;
        let acc = 0;
        let bits = 0;
        for (; p < lineEnd; p++) {
          const c = src.charCodeAt(p);
          if (c === SPACE || c === NEWLINE) break;
          if (c === 0x3d) continue; // '=' padding
          const v = c < 128 ? sextet[c]! : -1;
          if (v < 0) throw new Error(`bpe ranks: a bad base64 character near character ${p}`);
          acc = ((acc << 6) | v) & 0xffffff;
          bits += 6;
          if (bits >= 8) {
            bits -= 8;
            if (fill) bytes[used] = (acc >> bits) & 0xff;
            used++;
          }
        }
        if (fill) {
          rankOf[count] = rank;
          starts[count + 1] = used;
        }
        rank++;
        count++;
      }
      at = lineEnd + 1;
    }
    return { count, used };
  };
  const { count, used } = walk(ranks.bpe_ranks, false);
  starts = new Uint32Array(count + 1);
  rankOf = new Uint32Array(count);
  bytes = new Uint8Array(used);
  walk(ranks.bpe_ranks, true);

  // Open addressing, linear probing; a slot holds a token's index + 1 (0: empty). Load factor at most 1/2.
  let tableSize = 1;
  while (tableSize < count * 2) tableSize <<= 1;
  const mask = tableSize - 1;
  const table = new Int32Array(tableSize);
  const hash = (buf: Uint8Array, from: number, to: number): number => {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  };
  const same = (t: number, buf: Uint8Array, from: number, to: number): boolean => {
    const s = starts[t]!;
    if (starts[t + 1]! - s !== to - from) return false;
    for (let i = from; i < to; i++) if (bytes[s + i - from] !== buf[i]) return false;
    return true;
  };
  /** The rank of buf[from, to), or -1. */
  const rankAt = (buf: Uint8Array, from: number, to: number): number => {
    for (let slot = hash(buf, from, to) & mask; ; slot = (slot + 1) & mask) {
      const e = table[slot]!;
      if (e === 0) return -1;
      if (same(e - 1, buf, from, to)) return rankOf[e - 1]!;
    }
  };
  for (let t = 0; t < count; t++) {
    const s = starts[t]!;
    const e = starts[t + 1]!;
    let slot = hash(bytes, s, e) & mask;
    // A repeated token keeps its last rank, as js-tiktoken's object of ranks does.
    while (table[slot] !== 0 && !same(table[slot]! - 1, bytes, s, e)) slot = (slot + 1) & mask;
    table[slot] = t + 1;
  }

  const pretoken = new RegExp(ranks.pat_str, 'gu');
  const utf8 = new TextEncoder();
  let buf = new Uint8Array(1024);
  let bounds = new Int32Array(1025);
  let pairRank = new Int32Array(1024);
  const NONE = 0x7fffffff;

  /** tiktoken's merge: join the adjacent pair of lowest rank (leftmost on a tie) until no pair has a rank. */
  const merge = (n: number, out: number[]): void => {
    if (bounds.length < n + 1) {
      bounds = new Int32Array(n + 1);
      pairRank = new Int32Array(n);
    }
    for (let i = 0; i <= n; i++) bounds[i] = i;
    for (let i = 0; i + 1 < n; i++) {
      const r = rankAt(buf, i, i + 2);
      pairRank[i] = r < 0 ? NONE : r;
    }
    let parts = n;
    while (parts > 1) {
      let min = NONE;
      let k = -1;
      for (let i = 0; i + 1 < parts; i++)
        if (pairRank[i]! < min) {
          min = pairRank[i]!;
          k = i;
        }
      if (k < 0) break;
      // Parts k and k + 1 become one: drop boundary k + 1 and the pair rank that started at part k + 1.
      bounds.copyWithin(k + 1, k + 2, parts + 1);
      pairRank.copyWithin(k + 1, k + 2, parts - 1);
      parts--;
      if (k + 1 < parts) {
        const r = rankAt(buf, bounds[k]!, bounds[k + 2]!);
        pairRank[k] = r < 0 ? NONE : r;
      }
      if (k > 0) {
        const r = rankAt(buf, bounds[k - 1]!, bounds[k + 1]!);
        pairRank[k - 1] = r < 0 ? NONE : r;
      }
    }
    for (let i = 0; i < parts; i++) {
      const r = rankAt(buf, bounds[i]!, bounds[i + 1]!);
      if (r >= 0) out.push(r);
    }
  };

  return {
    size: count,
    encode(text: string): number[] {
      const out: number[] = [];
      pretoken.lastIndex = 0;
      for (let m = pretoken.exec(text); m !== null; m = pretoken.exec(text)) {
        const piece = m[0];
        if (piece.length === 0) {
          // No o200k alternative matches empty; a rank file whose pattern does must not loop forever.
          pretoken.lastIndex += text.codePointAt(pretoken.lastIndex)! > 0xffff ? 2 : 1;
          continue;
        }
        // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
        if (buf.length < piece.length * 3) buf = new Uint8Array(piece.length * 3);
        const n = utf8.encodeInto(piece, buf).written;
        const whole = rankAt(buf, 0, n);
        if (whole >= 0) out.push(whole);
        else merge(n, out);
      }
      return out;
    },
  };
}
