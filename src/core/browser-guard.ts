/**
 * What keeps web pages off an admin listener that has no key. A page on any site can make the browser send
 * requests to 127.0.0.1: a cross-site POST goes out without asking (POST /aigw/reset), and a page whose DNS
 * name is rebound to 127.0.0.1 reads the answers as its own (stats, the event stream). Browsers name the page
 * in `Origin` and the name they looked up in `Host`; neither can be forged by the page. Programs (Prometheus,
 * curl, `aigw top`) send no Origin and the address they were given as Host.
 */
import { isIP } from 'node:net';
import { type AigwError, aigwError } from './errors.js';

/** Whether the connection arrived on a loopback address (where DNS rebinding is the way in). */
function onLoopback(localAddress: string | undefined): boolean {
  if (!localAddress) return false;
  const a = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
  return a === '::1' || a.startsWith('127.');
}

/** The name part of a Host value: `[::1]:9901` → `::1`, `localhost:9901` → `localhost`. */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(':');
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

/** A name no DNS answer can move: an address, or `localhost` (browsers resolve it, and its subdomains, locally). */
function unrebindable(name: string): boolean {
  return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost');
}

/** How a refusal names the listener and what its operator can do instead. */
export interface GuardedListener {
  /** `the admin listener`, … */
  readonly name: string;
  /** What lets a web page (another origin) in: `set admin.key to share it`. */
  readonly toShare: string;
  /** What lets another name in: `set admin.key to reach it by another name`. */
  readonly toName: string;
  /**
   * Only what a browser sent is held to the Host rule: programs reach this listener under any name. Otherwise
   * programs on a loopback connection are held to it too (they are given an address or `localhost` there).
   */
  readonly browsersOnly?: boolean;
}

export const ADMIN_LISTENER: GuardedListener = {
  name: 'the admin listener',
  toShare: 'set admin.key to share it',
  toName: 'set admin.key to reach it by another name',
};

/** A gateway without tenants answers whoever reaches it, with its backends' keys: programs, not web pages. */
export const OPEN_GATEWAY: GuardedListener = {
  name: 'a gateway without tenants',
  toShare: 'configure tenants (API keys) for clients that are web pages',
  toName: 'configure tenants (API keys) to reach it by another name',
  browsersOnly: true,
};

/**
 * Whether a browser sent the request: it names the page's origin on every request but a same-origin GET or
 * HEAD, and `Sec-Fetch-Site` on all of them over HTTPS and to localhost. Programs send neither.
 */
export function sentByBrowser(headers: { origin?: string; 'sec-fetch-site'?: string }): boolean {
  return headers.origin !== undefined || headers['sec-fetch-site'] !== undefined;
}

/**
 * Whether a browser marks the request as a page's of another site: an `Origin` that is not the listener's own (its
 * Host's), or a `Sec-Fetch-Site` other than `same-origin` and `none` (the address bar). A page's no-cors GET (an
 * <img>, a <script>) names no Origin, but its browser names the site it came from.
 */
export function fromAnotherSite(headers: { host?: string; origin?: string; 'sec-fetch-site'?: string }): boolean {
  const { host, origin } = headers;
  if (origin !== undefined && (host === undefined || (origin !== `http://${host}` && origin !== `https://${host}`))) return true;
  const site = headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

/**
 * The problem with a request a browser page sent on its own account, or undefined. The Host rule holds for what
 * a browser sent on every address — a gateway in a container sees its container's address behind a port
 * published on 127.0.0.1, and a LAN address is as rebindable as loopback — and, unless `browsersOnly`, for
 * everything on loopback.
 */
export function browserProblem(
  headers: { host?: string; origin?: string; 'sec-fetch-site'?: string },
  localAddress: string | undefined,
  listener: GuardedListener = ADMIN_LISTENER,
): AigwError | undefined {
  const { host } = headers;
  // No-cors GETs to /aigw/events (marked by Sec-Fetch-Site alone) held the subscriber slots `aigw top` needs, with no
  // answer to read. The address bar (`none`) and the listener's own pages (`same-origin`) are the operator's.
  if (fromAnotherSite(headers))
    return aigwError('forbidden', `${listener.name} answers no web page from another origin; ${listener.toShare}`);
  // Browsers always name the host; a request without one (HTTP/1.0, a load balancer's health check) is a program's.
  if (host === undefined || unrebindable(hostName(host))) return undefined;
  if (sentByBrowser(headers))
    return aigwError('forbidden', `${listener.name} to a web page answers only an address or localhost as Host; ${listener.toName}`);
  if (!listener.browsersOnly && onLoopback(localAddress))
    return aigwError('forbidden', `${listener.name} on loopback answers only an address or localhost as Host; ${listener.toName}`);
  return undefined;
}
