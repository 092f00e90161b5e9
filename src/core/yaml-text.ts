/**
 * A YAML file's text from its bytes: UTF-8, or UTF-16 after its byte-order mark, as YAML allows and kubectl reads
 * (PowerShell's `>` writes UTF-16LE: read as UTF-8 it was one line of NULs, "not manifests").
 *
 * Bytes that are not UTF-8 are refused where they stand. Decoded as Node decodes by default, each became U+FFFD
 * without a word: a profile saved as Latin-1 (an editor's or Windows' legacy code page) loaded `keys: ["clé"]` as
 * "cl\uFFFD", a key no client can send, and an upstream model name no backend knows — validate said "ok".
 */
import { isUtf8 } from 'node:buffer';

/** Where the first byte that is not UTF-8 stands (1-based line and column, as the YAML reader counts them). */
export type NotUtf8 = { readonly line: number; readonly col: number; readonly byte: number; readonly message: string };

const hex = (b: number) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Where Node's decoding of bytes that are not UTF-8 put its first U+FFFD for a bad byte (a U+FFFD written in the file,
 * EF BF BD, is its own): the text before it decoded exactly, so its length in UTF-8 is the bad byte's offset.
 */
function firstBad(bytes: Buffer, text: string): { at: number; offset: number } {
  let offset = 0;
  let from = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    offset += Buffer.byteLength(text.slice(from, i));
    from = i;
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return { at: i, offset };
  }
  return { at: text.length, offset: bytes.length };
}

export function yamlText(bytes: Buffer): string | NotUtf8 {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2, bytes.length & ~1))
      .swap16()
      .toString('utf16le');
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const text = bytes.toString('utf8');
  const { at, offset } = firstBad(bytes, text);
  const before = text.slice(0, at);
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  const col = before.length - lineStart + 1;
  const byte = bytes[offset] ?? 0;
  return {
    line,
    col,
    byte,
    message: `not UTF-8: byte ${hex(byte)} here (a file saved as Latin-1 or a Windows code page?): save it as UTF-8`,
  };
}
