/** A compressed body's first bytes read back: a prefix of what the whole decodes to, bounded, or nothing. */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodedStart, PEEK_OUT, readableCoding } from '../../../src/relay/encoded-peek.js';

const CODERS: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, 'x-gzip': gzipSync, deflate: deflateSync, br: brotliCompressSync };

describe('reading back the start of a compressed body', () => {
  it('gives a prefix of the text whatever byte the body is cut at (gzip, deflate, br)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(CODERS)), fc.string({ maxLength: 300 }), fc.nat(), (coding, text, cut) => {
        const whole = Buffer.from(text);
        const bytes = CODERS[coding]!(whole);
        const out = decodedStart(bytes.subarray(0, cut % (bytes.length + 1)), coding);
        expect(out).toBeDefined();
        expect(whole.subarray(0, out!.length).equals(out!)).toBe(true);
        if (cut % (bytes.length + 1) === bytes.length) expect(out!.equals(whole)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives nothing for a bomb (more than PEEK_OUT from its first KiB) or bytes that are not the coding', () => {
    const bomb = gzipSync(Buffer.alloc(64 * PEEK_OUT, 0x20));
    expect(decodedStart(bomb.subarray(0, 1024), 'gzip')).toBeUndefined();
    expect(decodedStart(Buffer.from('{"error":"plain"}'), 'gzip')).toBeUndefined();
  });

  it('reads back one coding it knows, never a list or an unknown one', () => {
    expect(readableCoding('GZIP ')).toBe('gzip');
    expect(readableCoding('br')).toBe('br');
    for (const v of ['gzip, br', 'zstd', 'identity', 'constructor', '__proto__', undefined, ['gzip']])
      expect(readableCoding(v as string | string[] | undefined)).toBeUndefined();
  });
});
