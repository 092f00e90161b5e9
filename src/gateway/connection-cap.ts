/**
 * How many client connections the gateway's listener keeps at once: half the file descriptors the process may open,
 * so that its clients never hold all of them, and each could have its request's backend connection at once (HAProxy
 * derives its default maxconn from `ulimit -n` alike: two descriptors a proxied connection). Each connection holds
 * one; with none left, every connection to a backend failed (EMFILE: 503 `overloaded` for every request that needed a
 * new one), as did the admin listener, a reload's read of the profile and a JWKS fetch — a few thousand idle or
 * slowloris connections, from any client, stopped a gateway with a descriptor limit of a few thousand. Past the cap
 * node:http closes a new connection as it accepts it (`server.maxConnections`), as libuv does at EMFILE.
 */
import { readFileSync } from 'node:fs';

/** The share of the descriptors client connections may hold. */
const CLIENT_SHARE = 0.5;

/** The soft limit on open files in the text of /proc/self/limits, or undefined (unlimited, unreadable). */
export function openFilesLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\d+)\s/m.exec(limits);
  return m ? Number(m[1]) : undefined;
}

/** The cap for a descriptor limit (undefined: none known, no cap). */
export function connectionCap(openFiles: number | undefined): number | undefined {
  return openFiles === undefined ? undefined : Math.max(1, Math.floor(openFiles * CLIENT_SHARE));
}

/**
 * The cap for this process: read once, when the listener starts (Node raises the soft limit to the hard one as it
 * starts). Linux only; elsewhere, and when the limit cannot be read, none.
 */
export function processConnectionCap(): number | undefined {
  try {
    return connectionCap(openFilesLimit(readFileSync('/proc/self/limits', 'latin1')));
  } catch {
    return undefined;
  }
}
