/**
 * The path of an HTTP request target, for routing. Shared by the gateway's and the admin listener's routers: both
 * must read a target in absolute form as its path (RFC 9112 §3.2.2, "a server MUST accept the absolute-form"), which
 * a client sends through a forward proxy or when it takes the listener for one — read whole, it was a 404.
 */

/** A request target's scheme and authority in absolute form (`http://host:port`). */
const ABSOLUTE_FORM = /^https?:\/\/[^/]*/i;

/** The path of a request target, without its query: origin form (`/v1/…`) as it is, absolute form past its authority. */
export function targetPath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.charCodeAt(0) === 0x2f) return path;
  const authority = ABSOLUTE_FORM.exec(path);
  return authority ? path.slice(authority[0].length) || '/' : path;
}
