/**
 * What the TUI shows, as plain data: the latest /aigw/stats snapshot, a bounded log of notable events,
 * and short histories for sparklines. Pure functions fold snapshots and events into it, so components
 * render fixtures and tests need no network.
 */
import type { BackendSnapshot, StatsSnapshot } from '../events/stats-snapshot.js';

export type BackendView = BackendSnapshot;
export type StatsView = StatsSnapshot;

export interface LogLine {
  id: number;
  ts: number;
  kind: 'truncation' | 'ratelimit' | 'upstream_error' | 'reload' | 'ejection';
  text: string;
}

export interface TuiState {
  connected: boolean;
  error: string | undefined;
  stats: StatsView | undefined;
  log: LogLine[];
  /** Requests/s and tokens/s, one point per snapshot, oldest first. */
  rps: number[];
  tps: number[];
  paused: boolean;
}

export const HISTORY = 60;
export const LOG_LINES = 200;

export function initialState(): TuiState {
  return { connected: false, error: undefined, stats: undefined, log: [], rps: [], tps: [], paused: false };
}

function totals(s: StatsView): { requests: number; tokens: number } {
  let requests = 0;
  let tokens = 0;
  for (const m of Object.values(s.models)) {
    for (const b of Object.values(m.backends)) {
      requests += b.requests;
      tokens += b.tokens.input + b.tokens.output;
    }
  }
  return { requests, tokens };
}

const push = (xs: number[], v: number) => [...xs, v].slice(-HISTORY);

/** Folds a new snapshot in; rates come from the difference with the previous one. */
export function applyStats(state: TuiState, next: StatsView): TuiState {
  const prev = state.stats;
  let { rps, tps } = state;
  if (prev && next.ts > prev.ts) {
    const dt = (next.ts - prev.ts) / 1000;
    const a = totals(prev);
    const b = totals(next);
    rps = push(rps, Math.max(0, (b.requests - a.requests) / dt));
    tps = push(tps, Math.max(0, (b.tokens - a.tokens) / dt));
  }
  return { ...state, stats: next, rps, tps, connected: true, error: undefined };
}

const size = (n: number | undefined) =>
  n === undefined ? '?' : n >= 1048576 ? `${(n / 1048576).toFixed(1)}MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)}KiB` : `${n}B`;

/** A one-line description of a notable event, or undefined for events the log does not show. */
export function describeEvent(e: Record<string, unknown>): Omit<LogLine, 'id'> | undefined {
  const ts = Number(e.ts);
  switch (e.type) {
    case 'truncation':
      return {
        ts,
        kind: 'truncation',
        text:
          `${e.model} → ${e.backend} cut (${e.reason}) ` +
          `at ${size(e.bytesDelivered as number)} of ${size(e.bytesExpected as number | undefined)}`,
      };
    case 'ratelimit':
      return {
        ts,
        kind: 'ratelimit',
        text: `${e.tenant} ${e.model} 429 ${e.kind}${Number(e.retryAfterMs) >= 0 ? `, retry in ${e.retryAfterMs}ms` : ', never fits'}`,
      };
    case 'upstream_error':
      return { ts, kind: 'upstream_error', text: `${e.model} → ${e.backend} ${e.reason}: ${e.message}${e.retried ? ' (retried)' : ''}` };
    case 'reload':
      return { ts, kind: 'reload', text: `reload ${e.ok ? 'ok' : 'REJECTED'}: ${String(e.message).slice(0, 120)}` };
    case 'ejection':
      return { ts, kind: 'ejection', text: `${e.backend} ${e.ejected ? `ejected for ${e.cooldownMs}ms` : 'back in rotation'}` };
    default:
      return undefined;
  }
}

export function applyEvent(state: TuiState, id: number, e: Record<string, unknown>): TuiState {
  const line = describeEvent(e);
  if (!line) return state;
  return { ...state, log: [...state.log, { id, ...line }].slice(-LOG_LINES) };
}
