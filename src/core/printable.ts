/**
 * Text from elsewhere (a client's model name, a backend's error, a manifest's name, a target's error code) on
 * its way to a terminal or a log: C0 and C1 control characters, DEL, the Unicode line and paragraph
 * separators, and the invisible format characters never pass as themselves — an escape sequence would clear or
 * forge what the reader sees, a bidirectional override (U+202E) or isolate would show a line's text in another
 * order than it has ("Trojan Source"), a zero-width character would make two names look the same.
 */
import { ownString } from './own-string.js';

/**
 * Every control (Cc), format (Cf), surrogate (Cs, a lone half of a pair) and line or paragraph separator
 * character, and every default-ignorable one — the code points Unicode says a renderer shows as nothing: the
 * soft hyphen, the joiners, the Hangul fillers, the tag characters, the musical and shorthand format controls.
 * A list of ranges missed some (U+1D173 left `m<U+1D173>1` reading as `m1`); the properties follow Unicode.
 * Kept: the variation selectors (emoji, Mongolian and ideographic ones — `葛<U+E0100>城` is a place's name) and the
 * prepended concatenation marks (U+0600–0605 and six more: format characters that are drawn; JavaScript has
 * no property for them).
 */
export const CONTROL_CHARS =
  /(?![\ufe00-\ufe0f\u180b-\u180d\u180f\u{e0100}-\u{e01ef}\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}])[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * Each control character as `?`, and at most `max` characters (the last one `…` when cut): for a display. A cut is a
 * string of its own (core/own-string.ts): a slice is a view that keeps all of `text` alive, and what is cut is kept —
 * `aigw top`'s 200 log lines kept the names they showed 512 characters of (172 MB for 900 KB names a listener sent),
 * and the bench's records a target's 64-character `system_fingerprint` and error code, each request's whole string.
 */
export function printable(text: string, max: number): string {
  const clean = text.replace(CONTROL_CHARS, '?');
  return clean.length > max ? `${ownString(clean.slice(0, max - 1))}…` : clean;
}

/** Each control character as a visible escape (`\n`, `\t`, `\r`, `\x1b`, `\u2028`): for a message quoting it. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.codePointAt(0)!;
    if (code > 0xffff) return `\\u{${code.toString(16)}}`;
    return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
