/**
 * What the TUI shows, as plain data: the latest /aigw/stats snapshot, a bounded log of notable events,
 * and short histories for sparklines. Pure functions fold snapshots and events into it, so components
 * render fixtures and tests need no network. A flood of the same refusal is one log line with a counter.
 */
import type { BackendSnapshot, RefusalCount, StatsSnapshot } from '../events/stats-snapshot.js';
import type { GatewayEvent } from '../events/types.js';
import { eventFrom } from './wire.js';

export type BackendView = BackendSnapshot;
export type StatsView = StatsSnapshot;

export type LogKind = 'truncation' | 'ratelimit' | 'refused' | 'upstream_error' | 'reload' | 'ejection';

export interface LogLine {
  /** Unique in this view (event ids start again at 1 when the gateway restarts). */
  serial: number;
  id: number;
  ts: number;
  kind: LogKind;
  text: string;
  /** How many events this line stands for (a flood of one refusal is one line), and the id of the first. */
  count: number;
  first: number;
  /** Events with the same key, close together, fold into one line. */
  key?: string;
}

export interface TuiState {
  connected: boolean;
  error: string | undefined;
  stats: StatsView | undefined;
  log: LogLine[];
  /** Requests/s, tokens/s and refusals/s, one point per snapshot, oldest first. */
  rps: number[];
  tps: number[];
  refusedRate: number[];
  paused: boolean;
  /** The next log line's serial. */
  serial: number;
  /** Events over the admin client's bound, passed over unshown. */
  skipped: number;
  /** Why the event stream is refused, while it is (the log then shows nothing new). */
  eventsError: string | undefined;
}

export const HISTORY = 60;
export const LOG_LINES = 200;
/** A repeat this soon after the last one of its kind joins its line instead of starting a new one. */
export const FOLD_MS = 30_000;

export function initialState(): TuiState {
  return {
    connected: false,
    error: undefined,
    stats: undefined,
    log: [],
    rps: [],
    tps: [],
    refusedRate: [],
    paused: false,
    serial: 1,
    skipped: 0,
    eventsError: undefined,
  };
}

function totals(s: StatsView): { requests: number; tokens: number; refused: number } {
  let requests = 0;
  let tokens = 0;
  for (const m of Object.values(s.models)) {
    for (const b of Object.values(m.backends)) {
      requests += b.requests;
      tokens += b.tokens.input + b.tokens.output;
    }
  }
  return { requests, tokens, refused: refusedTotal(s) };
}

/** Every refusal the gateway answered (4xx/5xx on the proxy paths), all tenants and codes. */
export function refusedTotal(s: StatsView | undefined): number {
  return (s?.refusals ?? []).reduce((a, r) => a + r.count, 0);
}

/** Refusals per tenant (null: requests without a valid key), largest first, codes largest first. */
/** The largest admin event the TUI reads; a larger one is passed over and counted. */
export const MAX_EVENT_BYTES = 1024 * 1024;

/** What the header (and the plain summary) says about events passed over. */
export function skippedNote(n: number): string {
  return `${n} event${n === 1 ? '' : 's'} over ${MAX_EVENT_BYTES / 1048576} MiB not shown`;
}

export function refusalsByTenant(s: StatsView | undefined): { tenant: string | null; total: number; codes: RefusalCount[] }[] {
  // Appended in place: a copy per refusal made this quadratic, and a snapshot of ~150,000 refusals of one tenant
  // (8 MiB, under the client's bound) held every frame and plain tick for seconds — `q` waited behind them.
  const by = new Map<string | null, RefusalCount[]>();
  for (const r of s?.refusals ?? []) {
    const codes = by.get(r.tenant);
    if (codes) codes.push(r);
    else by.set(r.tenant, [r]);
  }
  return [...by]
    .map(([tenant, codes]) => ({ tenant, total: codes.reduce((a, r) => a + r.count, 0), codes: codes.sort((a, b) => b.count - a.count) }))
    .sort((a, b) => b.total - a.total);
}

/**
 * A rate's point, when it is a number: counts near Number.MAX_VALUE (each finite, as the schema checks) sum to Infinity
 * and differ by NaN, and one NaN blanked the sparkline — its scale NaN — for as long as it stayed in the history.
 */
const push = (xs: number[], v: number) => (Number.isFinite(v) ? [...xs, v].slice(-HISTORY) : xs);

/** Folds a new snapshot in; rates come from the difference with the previous one. */
export function applyStats(state: TuiState, next: StatsView): TuiState {
  const prev = state.stats;
  let { rps, tps, refusedRate } = state;
  if (prev && next.ts > prev.ts) {
    const dt = (next.ts - prev.ts) / 1000;
    const a = totals(prev);
    const b = totals(next);
    rps = push(rps, Math.max(0, (b.requests - a.requests) / dt));
    tps = push(tps, Math.max(0, (b.tokens - a.tokens) / dt));
    refusedRate = push(refusedRate, Math.max(0, (b.refused - a.refused) / dt));
  }
  return { ...state, stats: next, rps, tps, refusedRate, connected: true, error: undefined };
}

const size = (n: number | undefined) =>
  n === undefined ? '?' : n >= 1048576 ? `${(n / 1048576).toFixed(1)}MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)}KiB` : `${n}B`;

type Described = Omit<LogLine, 'serial' | 'id' | 'count' | 'first'>;

/** A one-line description of a notable event, or undefined for events the log does not show. */
export function describeEvent(e: GatewayEvent): Described | undefined {
  const ts = Number(e.ts);
  switch (e.type) {
    case 'truncation':
      return {
        ts,
        kind: 'truncation',
        text: `${e.model} → ${e.backend} cut (${e.reason}) at ${size(e.bytesDelivered)} of ${size(e.bytesExpected)}`,
      };
    case 'ratelimit':
      return {
        ts,
        kind: 'ratelimit',
        key: `ratelimit ${e.tenant} ${e.model} ${e.kind}`,
        text: `${e.tenant} ${e.model} 429 ${e.kind}${Number(e.retryAfterMs) >= 0 ? `, retry in ${e.retryAfterMs}ms` : ', never fits'}`,
      };
    case 'request': {
      // 429s have their own, richer `ratelimit` line; every other refusal is shown here.
      if (!(e.status >= 400) || e.status === 429) return undefined;
      const code = e.errorCode ?? 'unknown';
      const who = e.tenant ?? '(no key)';
      const text = `${who}${e.model ? ` ${e.model}` : ''} ${e.status} ${code}`;
      return { ts, kind: 'refused', key: `refused ${e.status} ${code} ${who}`, text };
    }
    case 'upstream_error':
      return {
        ts,
        kind: 'upstream_error',
        key: `upstream ${e.backend} ${e.reason} ${e.status ?? ''}`,
        text: `${e.model} → ${e.backend} ${e.reason}: ${e.message}${e.retried ? ' (retried)' : ''}`,
      };
    case 'reload':
      return { ts, kind: 'reload', text: `reload ${e.ok ? 'ok' : 'REJECTED'}: ${String(e.message).slice(0, 120)}` };
    case 'ejection':
      return { ts, kind: 'ejection', text: `${e.backend} ${e.ejected ? `ejected for ${e.cooldownMs}ms` : 'back in rotation'}` };
    default:
      return undefined;
  }
}

export function applyEvent(state: TuiState, id: number, e: GatewayEvent): TuiState {
  const line = describeEvent(e);
  if (!line) return state;
  if (line.key) {
    const i = state.log.findLastIndex((l) => l.key === line.key);
    const prev = state.log[i];
    if (prev && line.ts - prev.ts <= FOLD_MS) {
      // The same refusal again: one line with a counter, moved to the end as the latest news.
      const folded: LogLine = { ...prev, ...line, id, count: prev.count + 1 };
      return { ...state, log: [...state.log.slice(0, i), ...state.log.slice(i + 1), folded] };
    }
  }
  const serial = state.serial;
  return { ...state, serial: serial + 1, log: [...state.log, { serial, id, count: 1, first: id, ...line }].slice(-LOG_LINES) };
}

/** An event from the wire, if it looks like one (tui/wire.ts: the admin stream is input like any other). */
export const asEvent = eventFrom;
