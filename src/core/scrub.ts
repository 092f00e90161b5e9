/**
 * Removing known secrets from text that came from elsewhere (a backend's error message) before it reaches a
 * client, a log or an event. A backend that echoes the gateway's credential, or a tenant's key, in an
 * error must not hand it to whoever caused the error.
 */

export type Scrub = (text: string) => string;

/** Secrets shorter than this are not worth a pass over every message (and are not secrets). */
const MIN_SECRET = 4;
export const REDACTED = '[redacted]';

export function makeScrubber(secrets: Iterable<string>): Scrub {
  const list = [...new Set([...secrets].filter((s) => s.length >= MIN_SECRET))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
}
