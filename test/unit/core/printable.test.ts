/** What may reach a terminal or a log line from elsewhere: nothing that controls it or reorders what it shows. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTROL_CHARS, escapeControls, printable } from '../../../src/core/printable.js';

const INVISIBLE = [
  ['ESC', '\u001b'],
  ['C1 CSI', '\u009b'],
  ['line separator', '\u2028'],
  ['right-to-left override', '\u202e'],
  ['left-to-right embedding', '\u202a'],
  ['first strong isolate', '\u2068'],
  ['pop directional isolate', '\u2069'],
  ['right-to-left mark', '\u200f'],
  ['Arabic letter mark', '\u061c'],
  ['zero-width space', '\u200b'],
  ['zero-width joiner', '\u200d'],
  ['word joiner', '\u2060'],
  ['byte order mark', '\ufeff'],
  ['soft hyphen', '\u00ad'],
  ['combining grapheme joiner', '\u034f'],
  ['Hangul filler', '\u3164'],
  ['tag latin small letter a', '\u{e0061}'],
  ['cancel tag', '\u{e007f}'],
  // Format and default-ignorable characters a list of ranges missed: each renders as nothing in a terminal.
  ['musical symbol begin beam', '\u{1d173}'],
  ['shorthand format letter overlap', '\u{1bca0}'],
  ['interlinear annotation anchor', '\ufff9'],
  ['Khmer vowel inherent', '\u17b4'],
  ['lone high surrogate', '\ud800'],
] as const;

describe('printable', () => {
  it.each(INVISIBLE)('shows a %s as ?, never as itself', (_name, c) => {
    expect(printable(`gpt${c}-4o`, 100)).toBe('gpt?-4o');
    expect(escapeControls(`a${c}b`)).not.toContain(c);
  });

  it('keeps every other character as it is, letters of any script and emoji included', () => {
    expect(printable('llama-3 北京 Ωmega مرحبا 🌍 ❤️ 👍🏽', 100)).toBe('llama-3 北京 Ωmega مرحبا 🌍 ❤️ 👍🏽');
    // Variation selectors pick a glyph (a place's name, a Mongolian letter form); U+0600 is a mark that is drawn.
    for (const kept of ['葛\u{e0100}城', '\u1820\u180b', '\u0600\u0661\u0662']) expect(printable(kept, 100)).toBe(kept);
    expect(escapeControls('gpt-4o\u{e0061}')).toBe('gpt-4o\\u{e0061}');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const out = printable(s, Number.MAX_SAFE_INTEGER);
        expect(out.match(CONTROL_CHARS)).toBeNull();
        // A tag character (two UTF-16 units) becomes one `?`.
        expect(out.length).toBeLessThanOrEqual(s.length);
      }),
    );
  });
});
