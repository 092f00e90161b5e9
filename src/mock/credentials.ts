/** How the provider mocks check a client's credential: present, and equal to the configured key when there is one. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The first value of a header (Node joins nothing for unknown headers: a repeated one arrives as an array only for set-cookie). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The key of `Authorization: Bearer KEY`, if that is how the client sent one. */
export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header(headers, 'authorization') ?? '');
  return m?.[1];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when `given` is a non-empty key and, if a key is configured, that key (compared by digest, in constant time). */
export function keyAccepted(given: string | undefined, expected: string | undefined): boolean {
  if (!given) return false;
  return expected === undefined || timingSafeEqual(digest(given), digest(expected));
}
