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

/**
 * A backend's JSON text (an error event passed to the client) with configured secrets removed from what a JSON
 * parser reads, not only from its bytes: a secret spelt with escapes (`\/` from PHP, `\u0026` from Go, or any
 * `"` and `\` of its own) is found in the decoded strings, and a text holding an escape is re-encoded from what was
 * read. A text without escapes is scrubbed as text. `unreadable` stands in for one whose secret cannot be cut out
 * that way (a member's name holds it), or that JSON.parse cannot read back while it holds an escape.
 */
export function scrubJsonText(text: string, scrub: Scrub, unreadable: string): string {
  if (scrub === NO_SCRUB) return text;
  let removed = false;
  let inName = false;
  let value: unknown;
  try {
    value = JSON.parse(text, (name, v: unknown) => {
      if (scrub(name) !== name) inName = true;
      if (typeof v !== 'string') return v;
      const s = scrub(v);
      if (s !== v) removed = true;
      return s;
    });
  } catch {
    // Not JSON to JSON.parse, or nested too deep to revive: another parser may still read it (Python's json takes
    // NaN and Infinity), so an escape in it could hide a secret.
    return text.includes('\\') ? unreadable : scrub(text);
  }
  if (inName) return unreadable;
  // Re-encoded where an escape could hide a secret in a member the parse dropped (a repeated name keeps the last).
  return scrub(removed || text.includes('\\') ? JSON.stringify(value) : text);
}
