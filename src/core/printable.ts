/**
 * Text from elsewhere (a client's model name, a backend's error, a manifest's name, a target's error code) on
 * its way to a terminal or a log: C0 and C1 control characters, DEL, the Unicode line and paragraph
 * separators, and the invisible format characters never pass as themselves — an escape sequence would clear or
 * forge what the reader sees, a bidirectional override (U+202E) or isolate would show a line's text in another
 * order than it has ("Trojan Source"), a zero-width character would make two names look the same.
 */

/**
 * C0, DEL and C1; the soft hyphen; the combining grapheme joiner; the Hangul and Mongolian fillers; zero-width
 * and direction marks; embeddings, overrides, isolates; the word joiner and the deprecated format characters;
 * the BOM; the tag characters (U+E0000–E007F, a surrogate pair each: text no terminal shows). Variation selectors
 * stay: emoji need them.
 */
export const CONTROL_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]|\u034f|\udb40[\udc00-\udc7f]/g;

/** Each control character as `?`, and at most `max` characters (the last one `…` when cut): for a display. */
export function printable(text: string, max: number): string {
  const clean = text.replace(CONTROL_CHARS, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
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
