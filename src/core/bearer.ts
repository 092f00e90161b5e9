/** The token of an `Authorization: Bearer <token>` value, shared by the gateway's tenant keys and the admin key. */
import { isSpace } from './whitespace.js';

const BEARER = 'bearer';

/**
 * The token of `Bearer <token>`, read as /^Bearer +(\S+)$/i reads it (the scheme in any case, one or more
 * spaces, then a token with no whitespace to the end) without a match array on every request; undefined when
 * the value is not that. Its test holds it to the expression.
 */
export function bearerToken(value: string): string | undefined {
  const n = value.length;
  if (n < BEARER.length + 2) return undefined;
  for (let i = 0; i < BEARER.length; i++) if ((value.charCodeAt(i) | 0x20) !== BEARER.charCodeAt(i)) return undefined;
  let start = BEARER.length;
  if (value.charCodeAt(start) !== 0x20) return undefined;
  while (value.charCodeAt(start) === 0x20) start++;
  if (start === n) return undefined;
  for (let i = start; i < n; i++) if (isSpace(value.charCodeAt(i))) return undefined;
  return value.slice(start);
}
