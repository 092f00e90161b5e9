/**
 * What the bench reads beside its target's answers — an aigw admin listener's /aigw/stats and /metrics, a mock's
 * /mock/stats — bounded as `aigw top` bounds the same reads: a listener that never answers, trickles, or sends a
 * gigabyte is one the bench cannot read, not one it waits on or holds. Those were plain fetches with neither: a
 * /metrics that kept its headers back held `accounting` for 5 minutes, one that dripped a byte a minute held the
 * run for good, and a 1 GB /aigw/stats was read whole. Undefined: unreadable (the figures it feeds say n/a).
 */
import { request } from 'undici';

/** The most a side read takes, from the request to its last byte. */
export const SIDE_READ_MS = 5000;
/** The largest side read kept; past it the body is cut and the read is unreadable. */
export const SIDE_READ_BYTES = 8 * 1024 * 1024;

export interface SideReadOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
}

/** An answer's status and, within the bounds, its body (undefined: past `maxBytes`, cut, or out of time). */
export interface SideAnswer {
  status: number;
  text: string | undefined;
}

/**
 * Any answer's status, and its body as text within the time and size bounds; undefined when no answer came in time.
 * `maxBytes` 0 reads the status alone (the body is let go unread).
 */
export async function sideAnswer(url: string, o: SideReadOptions = {}): Promise<SideAnswer | undefined> {
  return read(url, o, false);
}

/** A 200's body as text, within the time and size bounds; undefined otherwise (another status, a cut, a timeout). */
export async function sideText(url: string, o: SideReadOptions = {}): Promise<string | undefined> {
  const a = await read(url, o, true);
  return a?.status === 200 ? a.text : undefined;
}

async function read(url: string, o: SideReadOptions, only200: boolean): Promise<SideAnswer | undefined> {
  const ms = o.timeoutMs ?? SIDE_READ_MS;
  const max = o.maxBytes ?? SIDE_READ_BYTES;
  // A timer of ours, not AbortSignal.timeout: a garbage collection can drop that signal before it fires (nodejs/node#57736).
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('side read timed out')), ms);
  try {
    const r = await request(url, { headers: o.headers ?? {}, signal: ac.signal, headersTimeout: ms, bodyTimeout: ms });
    // A body left unread is destroyed, which undici reports as an error event: heard here, not as an uncaught one.
    r.body.on('error', () => {});
    const unread = { status: r.statusCode, text: undefined };
    if (max === 0 || (only200 && r.statusCode !== 200)) {
      r.body.destroy();
      return unread;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const c of r.body) {
        bytes += (c as Buffer).length;
        if (bytes > max) {
          r.body.destroy();
          return unread;
        }
        chunks.push(c as Buffer);
      }
    } catch {
      return unread;
    }
    return { status: r.statusCode, text: Buffer.concat(chunks).toString('utf8') };
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** sideText parsed as JSON; undefined when unreadable or not JSON. */
export async function sideJson(url: string, o: SideReadOptions = {}): Promise<unknown> {
  const text = await sideText(url, o);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A count read from a side surface: a finite number of at least 0, else undefined (NaN, +Inf, -5, "7" are no count). */
export function sideCount(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;
}
