/**
 * Removing known secrets from text that came from elsewhere (a backend's error message) before it reaches a
 * client, a log or an event. A backend that echoes the gateway's credential, or a tenant's key, in an
 * error must not hand it to whoever caused the error.
 */

export type Scrub = (text: string) => string;

/** Secrets shorter than this are not worth a pass over every message (and are not secrets). */
const MIN_SECRET = 4;
export const REDACTED = '[redacted]';

/** Removes nothing: where no secret is configured, or a caller has none to give. */
export const NO_SCRUB: Scrub = (text) => text;

export function makeScrubber(secrets: Iterable<string>): Scrub {
  const list = [...new Set([...secrets].filter((s) => s.length >= MIN_SECRET))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return NO_SCRUB;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
}

const JSON_ESCAPE = /\\(u[0-9a-fA-F]{4}|.)/gs;
const ESCAPED: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A text with JSON's escapes read wherever they stand: every string a parser reads out of it is a part of this. */
function unescaped(text: string): string {
  return text.replace(JSON_ESCAPE, (_m, e: string) =>
    e.length === 5 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : (ESCAPED[e] ?? e),
  );
}

/**
 * A backend's JSON text (an error event passed to the client) with configured secrets removed from what a JSON
 * parser reads, not only from its bytes: a secret spelt with escapes (`\/` from PHP, `\u0026` from Go, or any
 * `"` and `\` of its own) is looked for in the text with its escapes read. Where none hides behind an escape, the
 * text is scrubbed as text and passes otherwise as it came (its numbers, spacing and repeated names untouched); where
 * one does, the text is re-encoded from what JSON.parse read with the secret removed — or `unreadable` stands in,
 * when JSON.parse cannot read it (another parser might: Python's json takes NaN) or a member's name holds it.
 */
export function scrubJsonText(text: string, scrub: Scrub, unreadable: string): string {
  if (scrub === NO_SCRUB) return text;
  if (!text.includes('\\')) return scrub(text);
  const read = unescaped(text);
  if (scrub(read) === read) return scrub(text);
  let inName = false;
  let value: unknown;
  try {
    value = JSON.parse(text, (name, v: unknown) => {
      if (scrub(name) !== name) inName = true;
      return typeof v === 'string' ? scrub(v) : v;
    });
  } catch {
    return unreadable;
  }
  // A repeated name keeps its last value: the one dropped, and its secret, are not re-encoded.
  return inName ? unreadable : scrub(JSON.stringify(value));
}
