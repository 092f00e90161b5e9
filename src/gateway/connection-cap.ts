/**
 * How many client connections the gateway's listener keeps at once: half the file descriptors the process may open,
 * less what it holds itself and the admin listener's share, so that its clients never hold all of them, and each could
 * have its request's backend connection at once (HAProxy
 * derives its default maxconn from `ulimit -n` alike: two descriptors a proxied connection). Each connection holds
 * one; with none left, every connection to a backend failed (EMFILE: 503 `overloaded` for every request that needed a
 * new one), as did the admin listener, a reload's read of the profile and a JWKS fetch — a few thousand idle or
 * slowloris connections, from any client, stopped a gateway with a descriptor limit of a few thousand. Past the cap
 * node:http closes a new connection as it accepts it (`server.maxConnections`), as libuv does at EMFILE.
 */
import { readFileSync } from 'node:fs';

/** The share of the descriptors client connections may hold, of those the process and the admin listener leave. */
const CLIENT_SHARE = 0.5;
/**
 * What the process holds besides connections: stdio, the event loop's and its threads' (the tokenizer, a reload's
 * load), the profile's files as a reload reads them, a JWKS fetch, a limits store, a collector — ~25 when idle. Half
 * of all the descriptors for the clients and half for their backends left none of it: with every kept client
 * streaming, the last requests' backend connections failed (503 `overloaded`) and the admin listener could accept
 * nothing (trust-connection-cap-backends.test.ts).
 */
const PROCESS_RESERVE = 64;

/** The soft limit on open files in the text of /proc/self/limits, or undefined (unlimited, unreadable). */
export function openFilesLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\d+)\s/m.exec(limits);
  return m ? Number(m[1]) : undefined;
}

/** The cap for a descriptor limit (undefined: none known, no cap): half of what the process and the admin listener leave. */
export function connectionCap(openFiles: number | undefined): number | undefined {
  if (openFiles === undefined) return undefined;
  const left = openFiles - PROCESS_RESERVE - adminConnectionCap(openFiles);
  return Math.max(1, Math.floor(left * CLIENT_SHARE));
}

/**
 * The admin listener's share, and its most: Prometheus, curl and a few `aigw top` windows (two connections each, and
 * /aigw/events takes 64 subscribers at most) need tens. Uncapped, its connections took the descriptors the client cap
 * keeps for the backends — anyone who reaches the admin port (one published for Prometheus, with a key: refused only
 * once a request's head arrives) held them with idle or slowloris connections, and every request that needed a new
 * backend connection failed 503 out of descriptors. Past the cap it is the admin listener that refuses, not the gateway.
 */
const ADMIN_SHARE = 1 / 16;
export const MAX_ADMIN_CONNECTIONS = 256;

/** The admin listener's cap for a descriptor limit: MAX_ADMIN_CONNECTIONS when none is known. */
export function adminConnectionCap(openFiles: number | undefined): number {
  return openFiles === undefined
    ? MAX_ADMIN_CONNECTIONS
    : Math.max(4, Math.min(MAX_ADMIN_CONNECTIONS, Math.floor(openFiles * ADMIN_SHARE)));
}

/** The soft limit on this process's open files, when it can be read (Linux only). */
function processOpenFiles(): number | undefined {
  try {
    return openFilesLimit(readFileSync('/proc/self/limits', 'latin1'));
  } catch {
    return undefined;
  }
}

/**
 * The cap for this process: read once, when the listener starts (Node raises the soft limit to the hard one as it
 * starts). Linux only; elsewhere, and when the limit cannot be read, none.
 */
export function processConnectionCap(): number | undefined {
  return connectionCap(processOpenFiles());
}

/** The admin listener's cap for this process, read as processConnectionCap reads it. */
export function processAdminConnectionCap(): number {
  return adminConnectionCap(processOpenFiles());
}
