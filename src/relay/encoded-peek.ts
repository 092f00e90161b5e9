/**
 * The first bytes of a compressed answer, read back: aigw asks backends for identity, but one that compresses
 * anyway must not get an error body past the scrub (exchange.ts reads a 2xx's first bytes for `{"error"`, and a
 * refusal's text for its message). Bounded both ways — a few KiB in, at most PEEK_OUT out — and synchronous: a
 * compression bomb costs a millisecond, not memory.
 */
import zlib from 'node:zlib';

type Decode = (b: Buffer, o: zlib.ZlibOptions | zlib.BrotliOptions) => Buffer;

const { Z_SYNC_FLUSH, BROTLI_OPERATION_FLUSH } = zlib.constants;

/** The codings read back, each taking a cut input (a sync flush rather than an end). */
const DECODERS: ReadonlyMap<string, [Decode, number]> = new Map<string, [Decode, number]>([
  ['gzip', [zlib.gunzipSync, Z_SYNC_FLUSH]],
  ['x-gzip', [zlib.gunzipSync, Z_SYNC_FLUSH]],
  ['deflate', [zlib.inflateSync, Z_SYNC_FLUSH]],
  ['br', [zlib.brotliDecompressSync, BROTLI_OPERATION_FLUSH]],
]);

/** The most first bytes of a compressed 2xx body held to tell whether it is an error (exchange.ts). */
export const MAX_HEAD = 4096;

/** The most decoded bytes looked at: an error object names itself in its first few hundred. */
export const PEEK_OUT = 64 * 1024;

/** Whether a content-encoding (case-insensitive, a list, or repeated) names any coding but identity. */
export function encodedBeyondIdentity(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  for (const v of typeof value === 'string' ? [value] : value)
    for (const coding of v.split(',')) {
      const c = coding.trim().toLowerCase();
      if (c !== '' && c !== 'identity') return true;
    }
  return false;
}

/** The one coding a content-encoding names, when it is one of DECODERS (a list of several is not read back). */
export function readableCoding(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const c = value.trim().toLowerCase();
  return DECODERS.has(c) ? c : undefined;
}

/**
 * What `bytes` (the start of a body, cut anywhere) decode to, at most PEEK_OUT of it; undefined when they do not
 * decode, or decode to more (what a bomb's first bytes do: nothing to read an error from).
 */
export function decodedStart(bytes: Buffer, coding: string): Buffer | undefined {
  const out = peekDecoded(bytes, coding);
  return typeof out === 'string' ? undefined : out;
}

/** decodedStart, telling why there is nothing: bytes that are not the coding, or more than PEEK_OUT out of them. */
/** Read-backs since the process started: the work a compressed start has cost, which a test bounds. */
export const readBacks = { count: 0 };

export function peekDecoded(bytes: Buffer, coding: string): Buffer | 'undecodable' | 'too-large' {
  readBacks.count++;
  const d = DECODERS.get(coding);
  if (!d) return 'undecodable';
  const out = decodeWith(d[0], bytes, d[1]);
  if (out !== 'undecodable' || coding !== 'deflate') return out;
  // `deflate` without its zlib wrapper (as IIS sends it): clients read it so, and so is it read back. Raw deflate
  // "decodes" the start of almost any bytes — plain JSON's `{` opens a fixed-Huffman block — into bytes that are no
  // answer: plain JSON labelled deflate that does not decode to JSON is not deflate.
  const raw = decodeWith(zlib.inflateRawSync, bytes, Z_SYNC_FLUSH);
  return typeof raw !== 'string' && opensJson(bytes) && !opensJson(raw) ? 'undecodable' : raw;
}

/** Whether `b` begins, past JSON whitespace, with `{` or `[`. */
function opensJson(b: Buffer): boolean {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return b[i] === 0x7b || b[i] === 0x5b;
}

function decodeWith(decode: Decode, bytes: Buffer, finishFlush: number): Buffer | 'undecodable' | 'too-large' {
  try {
    return decode(bytes, { finishFlush, maxOutputLength: PEEK_OUT });
  } catch (e) {
    return (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'undecodable';
  }
}

/**
 * What the longest start of `head` (at most MAX_HEAD bytes) that decodes to at most PEEK_OUT decodes to, and whether
 * that start is shorter than what came: a dense answer (an embedding of zeros) decodes to more than PEEK_OUT from its
 * first KiB, and its first bytes still tell. Found by halving: each try bounded by PEEK_OUT, a dozen at most.
 */
export function decodedHead(head: Buffer, coding: string): { plain: Buffer | 'undecodable' | 'too-large'; cut: boolean } {
  const whole = head.subarray(0, MAX_HEAD);
  const plain = peekDecoded(whole, coding);
  if (typeof plain !== 'string') return { plain, cut: whole.length < head.length };
  // More than PEEK_OUT from it, or a start that decodes followed by what does not (a second member, trailing bytes,
  // a bad checksum — what clients decode up to): the longest start that decodes is read.
  let lo = 0;
  let hi = whole.length;
  let best: Buffer | undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const out = peekDecoded(whole.subarray(0, mid), coding);
    if (typeof out === 'string') hi = mid;
    else {
      lo = mid;
      best = out;
    }
  }
  // Nothing decodes out of it: not the coding at all (a plain body labelled gzip) — unless it was too much.
  if (plain === 'undecodable' && (best === undefined || best.length === 0)) return { plain, cut: false };
  return { plain: best ?? 'too-large', cut: true };
}

/**
 * The most a whole compressed answer is decoded to on the event loop for its usage (exchange.ts): about what its
 * bytes are when it is plain (the settle stage counts up to COUNTED_BODY_BYTES of a body without usage the same way).
 */
export const USAGE_OUT = 1024 * 1024;

/**
 * The last `tail` bytes (latin1: the usage object is ASCII) of what a compressed body decodes to — where its usage is,
 * as a plain body's tail window holds it — or undefined when it does not decode, or decodes to more than USAGE_OUT
 * (then the settle stage counts or estimates it off the loop, as a body without usage). Read with a sync flush, so
 * that a body cut short still gives what it held.
 */
export function decodedTail(bytes: Buffer, coding: string, tail: number): string | undefined {
  const d = DECODERS.get(coding);
  if (!d) return undefined;
  let out = decodeTo(d[0], bytes, d[1]);
  // `deflate` without its zlib wrapper (IIS), as peekDecoded reads it.
  if (out === undefined && coding === 'deflate') out = decodeTo(zlib.inflateRawSync, bytes, Z_SYNC_FLUSH);
  return out?.toString('latin1', Math.max(0, out.length - tail));
}

function decodeTo(decode: Decode, bytes: Buffer, finishFlush: number): Buffer | undefined {
  try {
    return decode(bytes, { finishFlush, maxOutputLength: USAGE_OUT });
  } catch {
    return undefined;
  }
}
