/**
 * What `top` is pointed at — the admin URL and key — checked before use and kept out of what it prints. fetch's
 * errors quote the URL (a `user:password@` in it with them) and undici's quote a bad header value whole (a key
 * with a line break in it, break included): shown raw, the status line printed a secret on every retry.
 */
import { printable } from './wire.js';

/** `scheme://user:password@`: the userinfo of any URL a message quotes. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@]*@/gi;

/** Why `admin` cannot be used, or undefined. Never quotes it: it may hold a password. */
export function adminUrlProblem(admin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(admin);
  } catch {
    return '--admin is not a URL (e.g. http://127.0.0.1:9901)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '--admin must be an http:// or https:// URL';
  if (url.username || url.password)
    return '--admin must not carry a user or password (user:password@); the admin listener takes a key: --key or AIGW_ADMIN_KEY';
  // The admin paths are appended to it: after a query or a fragment they were part of those, and every poll asked for `/`.
  if (/[?#]/.test(admin)) return "--admin is the admin listener's base URL: it takes no query (?…) or fragment (#…)";
  return undefined;
}

/**
 * Why `key` cannot be sent as a header, or undefined. fetch takes Latin-1 without NUL, CR or LF (RFC 9110's
 * field-value and obs-text); anything else is a TypeError quoting the value. Never quotes the key.
 */
export function keyProblem(key: string): string | undefined {
  if (/^[\t\x20-\x7e\x80-\xff]*$/.test(key)) return undefined;
  return 'the admin key (--key or AIGW_ADMIN_KEY) is not a valid HTTP header value: it holds a line break, a control character or a character beyond Latin-1 (not shown here)';
}

/** The admin URL as it may be shown: without a user and password, control characters as `?`. */
export function shownUrl(admin: string): string {
  return printable(admin.replace(USERINFO, '$1'));
}

/** A message (an error's, quoting who knows what) as it may be shown: no key, no userinfo, one printable line. */
export function shownMessage(message: string, key: string | undefined): string {
  const keyless = key ? message.replaceAll(key, '[key]') : message;
  return printable(keyless.replace(USERINFO, '$1'));
}
