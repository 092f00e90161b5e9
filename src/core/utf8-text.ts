/**
 * A request body's text, decoded the fastest way that gives exactly `bytes.toString('utf8')`, in no more memory.
 * Node 20 and 22 decode UTF-8 other than ASCII at ~5–10 ms per MiB on this machine, a body's largest cost on the
 * event loop; ICU's converter (buffer.transcode) then a UTF-16 copy does it in 1–2 ms. Node 24's own decoding is
 * 5–15× faster than theirs. Told apart natively first (simdutf): ASCII is read as Latin-1 (the same string); valid
 * UTF-8 goes through ICU from ICU_FROM bytes, to UTF-16 — or, for a large body whose text is all within Latin-1, to
 * Latin-1's own bytes, so that the string stays one byte a character; a shorter body goes to V8; bytes that are not
 * UTF-8 go to V8 too, whose U+FFFD for each bad byte is what the gateway has always read.
 */
import { isAscii, isUtf8, transcode } from 'node:buffer';

export interface Utf8Text {
  text: string;
  /** Every byte is ASCII: offsets into the text are offsets into the bytes. */
  ascii: boolean;
  /** The bytes are valid UTF-8: encoding the text again gives them back. */
  valid: boolean;
}

/** Node built without ICU has no transcode. */
const icu = typeof transcode === 'function';
/**
 * Node keeps a decoded string of ~1 MB or more (its EXTERN_APEX) outside the V8 heap as it came from ICU, two bytes
 * a character; a shorter one V8 stores one byte a character when it can, whichever decoder made it. A body of
 * this many bytes or more may decode to the former (two UTF-16 bytes for each byte of Latin-1 text).
 */
const MAY_STAY_EXTERNAL = 480 * 1024;
/**
 * Below this, V8 is as fast or faster. On Node 20 and 22, ICU's call costs ~1.5 µs however short the text (timed
 * here, decode then JSON.parse: a 308-byte Cyrillic body 2.1 µs by V8, 2.3 by ICU; 470 bytes 2.8 against 2.4;
 * accented Latin text favours V8 to ~550 bytes). On Node 24, V8 is faster up to a few hundred KiB (µs per body,
 * 24.22.3: Cyrillic 4 KiB 3.9 against ICU's 7.6, 16 KiB 8.5 against 17.5, 256 KiB 340 against 445; CJK 16 KiB 12.7
 * against 15.8; at 448 KiB ICU's 690 against 906): ICU only where a string may stay external.
 */
const ICU_FROM = Number.parseInt(process.versions.node, 10) >= 24 ? MAY_STAY_EXTERNAL : 320;

export function utf8Text(bytes: Buffer): Utf8Text {
  if (isAscii(bytes)) return { text: bytes.toString('latin1'), ascii: true, valid: true };
  if (!isUtf8(bytes)) return { text: bytes.toString('utf8'), ascii: false, valid: false };
  return { text: validText(bytes), ascii: false, valid: true };
}

function validText(bytes: Buffer): string {
  if (!icu || bytes.length < ICU_FROM) return bytes.toString('utf8');
  if (bytes.length < MAY_STAY_EXTERNAL || pastLatin1(bytes)) return transcode(bytes, 'utf8', 'utf16le').toString('utf16le');
  // Within Latin-1, a character a byte, outside the heap: V8's own decoding gave that on Node 20 and 22 (in ~7 ms per
  // MiB), not on Node 24 (simdutf's decoding, external and two bytes a character); this gives it on all three, in ~2.
  return transcode(bytes, 'utf8', 'latin1').toString('latin1');
}

/**
 * Whether valid UTF-8 holds a character past U+00FF: a lead byte from 0xC4 up (0xC2 and 0xC3 lead U+0080–U+00FF).
 * Stops at the first; only text within Latin-1 is read to its end (~1.8 ms per MiB, less than V8's decoding).
 */
function pastLatin1(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0xc4) return true;
  return false;
}

/**
 * A text without its leading byte-order mark (a server writing UTF-8 with a signature): JSON.parse reads none, and
 * fetch's response.json() — the SDKs' — drops it, so a body read as JSON is read past it.
 */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
