/**
 * What the TUI reads from an admin listener, made safe to show: the listener (and every name a client or a
 * backend put into its events — a model, a tenant, an error message) is input like any other. Strings lose
 * their control characters (a terminal escape sequence stays text: no clipboard write, title change or
 * forged line) and are capped; a snapshot is checked against the contract's schema before it is shown.
 */
import { printable as printableText } from '../core/printable.js';
import { readStatsSnapshot, type StatsSnapshot } from '../events/stats-snapshot.js';
import type { GatewayEvent } from '../events/types.js';

/** Longest string shown from the wire (a line is cut by the terminal's width anyway). */
const MAX_TEXT = 512;
/** JavaScript's Date range: a time outside it cannot be shown as a clock. */
const MAX_TS = 8.64e15;

/** A string with its control characters shown as `?` (core/printable.ts), at most MAX_TEXT characters. */
export function printable(s: string): string {
  return printableText(s, MAX_TEXT);
}

/** A parsed JSON value with every string and key made printable (prototype keys dropped), for the schema to read. */
function printableTree(x: unknown, depth = 0): unknown {
  if (typeof x === 'string') return printable(x);
  if (x === null || typeof x !== 'object' || depth > 8) return typeof x === 'object' ? null : x;
  if (Array.isArray(x)) return x.map((v) => printableTree(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k === '__proto__') continue;
    out[printable(k)] = printableTree(v, depth + 1);
  }
  return out;
}

/** A snapshot as the TUI may show it, or what is wrong with it. */
export function statsFrom(json: unknown): { ok: true; stats: StatsSnapshot } | { ok: false; problem: string } {
  const r = readStatsSnapshot(printableTree(json));
  if (r.ok) return r;
  const { path, message } = r.problem;
  return {
    ok: false,
    problem: `the admin listener sent a snapshot that is not /aigw/stats (${path.map(String).join('.') || 'top'}: ${message})`,
  };
}

/**
 * An event from the wire, if it looks like one: a type, a time that is a date, and only printable strings,
 * numbers, booleans and nulls at its top level (what the log reads; anything nested is dropped).
 */
export function eventFrom(json: unknown): GatewayEvent | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    if (k === '__proto__') continue;
    if (typeof v === 'string') out[k] = printable(v);
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
  }
  const ts = out.ts;
  if (typeof out.type !== 'string' || typeof ts !== 'number' || !(Math.abs(ts) <= MAX_TS)) return undefined;
  return out as unknown as GatewayEvent;
}
