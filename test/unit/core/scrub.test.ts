/**
 * A backend's text reaches a client with the configured secrets removed from what the client reads: a JSON text's
 * decoded strings, whatever escapes spell them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeScrubber, NO_SCRUB, REDACTED, scrubJsonText } from '../../../src/core/scrub.js';

const UNREADABLE = '{"error":"unreadable"}';

/** Every string a JSON parser reads out of `text`, names included. */
function decodedStrings(text: string): string[] {
  const out: string[] = [];
  JSON.parse(text, (name, v: unknown) => {
    out.push(name);
    if (typeof v === 'string') out.push(v);
    return v;
  });
  return out;
}

/** `s` with some characters written as JSON escapes, as other encoders write them (PHP's `\/`, Go's `\u0026`). */
function escaped(s: string, which: boolean[]): string {
  return [...JSON.stringify(s).slice(1, -1)]
    .map((ch, i) => (which[i % which.length] && /[a-z/&]/i.test(ch) ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch))
    .join('');
}

describe('scrubJsonText', () => {
  const secret = 'Zm9v/YmFy&cXV4-secret';
  const scrub = makeScrubber([secret, 'p4ss"w\\rd-0123']);

  it.each([
    ['PHP escapes "/"', '{"type":"error","error":{"message":"bad key Zm9v\\/YmFy&cXV4-secret"}}'],
    ['Go escapes "&"', '{"type":"error","error":{"message":"bad key Zm9v/YmFy\\u0026cXV4-secret"}}'],
    ['a secret holding a quote and a backslash', '{"error":{"message":"bad p4ss\\"w\\\\rd-0123"}}'],
    ['in an array, deeper', '{"error":{"details":[{"k":["Zm9v\\/YmFy\\u0026cXV4-secret"]}]}}'],
  ])('%s: the secret is gone from what a parser reads, the rest kept', (_name, text) => {
    const out = scrubJsonText(text, scrub, UNREADABLE);
    expect(decodedStrings(out).join(' ')).not.toMatch(/Zm9v\/YmFy&cXV4|p4ss"w\\rd/);
    expect(out).toContain(REDACTED);
    expect(Object.keys(JSON.parse(out))).toEqual(Object.keys(JSON.parse(text)));
  });

  it('passes a text without a secret as it came, byte for byte, escapes and all', () => {
    const text = '{ "type": "error", "error": {"type": "overloaded_error", "message": "try later", "n": 1.0} }';
    expect(scrubJsonText(text, scrub, UNREADABLE)).toBe(text);
    const escaped = '{"error":{"message":"try \\/ later","n":12345678901234567890}}';
    expect(scrubJsonText(escaped, scrub, UNREADABLE)).toBe(escaped);
  });

  it('a text with escapes but no secret behind them passes as it came, JSON or not (a Windows path)', () => {
    expect(scrubJsonText('Internal error: C:\\models\\llama failed', scrub, UNREADABLE)).toBe('Internal error: C:\\models\\llama failed');
    expect(scrubJsonText('{"a":"tab\there", "b": 1e999}', scrub, UNREADABLE)).toBe('{"a":"tab\there", "b": 1e999}');
  });

  it("a text another client's parser reads (Python's json takes NaN) holding an escape: the stand-in", () => {
    const text = '{"type":"error","error":{"message":"Zm9v\\/YmFy&cXV4-secret","score":NaN}}';
    expect(scrubJsonText(text, scrub, UNREADABLE)).toBe(UNREADABLE);
  });

  it('a repeated member: the one JSON.parse dropped does not keep an escaped secret in the bytes', () => {
    const text = '{"error":{"message":"Zm9v\\/YmFy&cXV4-secret"},"error":{"message":"x"}}';
    const out = scrubJsonText(text, scrub, UNREADABLE);
    expect(out).not.toContain('cXV4-secret');
    expect(JSON.parse(out)).toEqual({ error: { message: 'x' } });
  });

  it('scrubs a text that is not JSON as text', () => {
    expect(scrubJsonText(`oops ${secret}`, scrub, UNREADABLE)).toBe(`oops ${REDACTED}`);
  });

  it('gives the stand-in when a member is named by the secret (a name cannot be cut)', () => {
    expect(scrubJsonText('{"error":{"Zm9v\\/YmFy&cXV4-secret":1}}', scrub, UNREADABLE)).toBe(UNREADABLE);
  });

  it('a text nested deeper than a parser reads back keeps no escaped secret (the stand-in, where it cannot be read)', () => {
    const deep = `${'['.repeat(200_000)}"Zm9v\\/YmFy\\u0026cXV4-secret"${']'.repeat(200_000)}`;
    const out = scrubJsonText(deep, scrub, UNREADABLE);
    expect(out === UNREADABLE || (out.includes(REDACTED) && !out.includes('cXV4-secret'))).toBe(true);
  });

  it('does nothing where no secret is configured', () => {
    expect(scrubJsonText('{"a":"\\/"}', NO_SCRUB, UNREADABLE)).toBe('{"a":"\\/"}');
  });

  it('no secret survives in what a parser reads, however the JSON spells it', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(`pre ${secret} post`, secret, 'plain', 'x\\y', 'p4ss"w\\rd-0123'),
        fc.integer(),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('message', 'type', 'a/b', 'code'), tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }), (value, which) => {
        // Re-spelt: each string's characters partly as \u escapes.
        const text = JSON.stringify(value).replace(
          /"((?:[^"\\]|\\.)*)"/g,
          (_m, inner: string) => `"${escaped(JSON.parse(`"${inner}"`), which)}"`,
        );
        expect(JSON.parse(text)).toEqual(value);
        const out = scrubJsonText(text, scrub, UNREADABLE);
        for (const s of decodedStrings(out)) {
          expect(s).not.toContain(secret);
          expect(s).not.toContain('p4ss"w\\rd-0123');
        }
      }),
      { numRuns: 300 },
    );
  });
});
