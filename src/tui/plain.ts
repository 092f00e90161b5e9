/** When stdout is not a terminal: the same feed as periodic plain lines (for CI logs and pipes). */
import { AdminClient } from './admin-client.js';
import { applyEvent, applyStats, initialState, refusalsByTenant, skippedNote, type TuiState } from './model.js';

/**
 * Models, a model's backends, tenants and a tenant's codes printed per tick, busiest first: a gateway of thousands
 * printed them all every two seconds (a model's 5,000 backends were one line of 110 KB a tick).
 */
export const PLAIN_ROWS = 20;
/**
 * Bytes left unread in the output past which a tick is not printed. Node holds what a pipe's reader has not taken
 * (`aigw top | less` left on its first page, a stalled log collector) in the stream, in memory: every tick was kept,
 * as long as the reader stayed away. The next tick printed says how many went.
 */
export const PLAIN_MAX_WAITING = 4 * 1024 * 1024;

/** The `PLAIN_ROWS` entries of largest weight, in their order otherwise (a stable sort keeps ties as listed). */
function busiest<T>(entries: T[], weight: (e: T) => number): T[] {
  if (entries.length <= PLAIN_ROWS) return entries;
  return entries
    .map((e) => ({ e, w: weight(e) }))
    .sort((a, b) => b.w - a.w)
    .slice(0, PLAIN_ROWS)
    .map((x) => x.e);
}

export function summaryLines(s: TuiState): string[] {
  const lines: string[] = [];
  const t = new Date().toISOString().slice(11, 19);
  const connection = s.connected ? 'connected' : `disconnected: ${s.error ?? ''}`;
  const rates =
    `req/s ${(s.rps.at(-1) ?? 0).toFixed(1)} tok/s ${(s.tps.at(-1) ?? 0).toFixed(0)} ` +
    `refused/s ${(s.refusedRate.at(-1) ?? 0).toFixed(1)}`;
  const notes = `${s.skipped ? ` · ${skippedNote(s.skipped)}` : ''}${s.eventsError ? ` · no events: ${s.eventsError}` : ''}`;
  lines.push(`${t} ${connection} ${rates} inflight ${s.stats?.inflight ?? 0}${notes}`);
  const models = Object.entries(s.stats?.models ?? {});
  for (const [model, m] of busiest(models, ([, m]) => m.requests)) {
    const backends = Object.entries(m.backends);
    const parts = busiest(backends, ([, v]) => v.requests).map(
      ([b, v]) => `${b} ${v.requests} (${(v.share * 100).toFixed(1)}%/${(v.expectedShare * 100).toFixed(1)}%)`,
    );
    const more = backends.length > PLAIN_ROWS ? `, … ${backends.length - PLAIN_ROWS} more backends` : '';
    lines.push(`${t}   ${model}: ${parts.join(', ')}${more}`);
  }
  if (models.length > PLAIN_ROWS) lines.push(`${t}   … ${models.length - PLAIN_ROWS} more models`);
  const tenants = Object.entries(s.stats?.tenants ?? {});
  for (const [name, ten] of busiest(tenants, ([, ten]) => ten.rpm.used + ten.rejected)) {
    const tpm = `tpm ${ten.tpm.used}/${ten.tpm.limit ?? '∞'}`;
    const rpm = `rpm ${ten.rpm.used}/${ten.rpm.limit ?? '∞'}`;
    lines.push(`${t}   tenant ${name}: ${tpm} ${rpm} 429s ${ten.rejected}`);
  }
  if (tenants.length > PLAIN_ROWS) lines.push(`${t}   … ${tenants.length - PLAIN_ROWS} more tenants`);
  const refusals = refusalsByTenant(s.stats);
  for (const r of refusals.slice(0, PLAIN_ROWS)) {
    // The largest codes only, as for models and tenants: a tenant's thousands of codes were one line of megabytes a tick.
    const more = r.codes.length > PLAIN_ROWS ? `, … ${r.codes.length - PLAIN_ROWS} more codes` : '';
    const codes = `${r.codes
      .slice(0, PLAIN_ROWS)
      .map((c) => `${c.status} ${c.code} ${c.count}`)
      .join(', ')}${more}`;
    lines.push(`${t}   refused ${r.tenant ?? '(no key)'}: ${r.total} (${codes})`);
  }
  if (refusals.length > PLAIN_ROWS) lines.push(`${t}   … ${refusals.length - PLAIN_ROWS} more refused tenants`);
  return lines;
}

/**
 * Prints the feed to `out` every `everyMs` until the returned function is called, or until `out` fails:
 * then it stops by itself and calls `onClosed` with the error (EPIPE: the reader went away, as in `top | head`).
 */
export function runPlain(
  admin: string,
  key: string | undefined,
  everyMs = 2000,
  out: NodeJS.WritableStream = process.stdout,
  onClosed?: (e: NodeJS.ErrnoException) => void,
): () => void {
  let state = initialState();
  let closed = false;
  /** Ticks not printed since the last one that was: the reader had not taken what was already written. */
  let unprinted = 0;
  // A line is printed once, and again when its counter moved (at most once per tick).
  const printed = new Map<number, number>();
  const client = new AdminClient(
    { admin, key },
    {
      stats: (st) => (state = applyStats(state, st)),
      event: (id, e) => (state = applyEvent(state, id, e)),
      status: (connected, error) => (state = { ...state, connected, error }),
      skipped: () => (state = { ...state, skipped: state.skipped + 1 }),
      events: (eventsError) => (state = { ...state, eventsError }),
    },
  );
  client.start();
  const timer = setInterval(() => {
    if (closed) return;
    if (((out as { writableLength?: number }).writableLength ?? 0) > PLAIN_MAX_WAITING) {
      unprinted++;
      return;
    }
    if (unprinted > 0) {
      const t = new Date().toISOString().slice(11, 19);
      out.write(`${t} … ${unprinted} update${unprinted === 1 ? '' : 's'} not printed: the reader of this output fell behind\n`);
      unprinted = 0;
    }
    // Event lines not printed while the reader was behind are printed now, those still in the log.
    for (const l of state.log) {
      if (printed.get(l.serial) === l.count) continue;
      printed.set(l.serial, l.count);
      out.write(`${new Date(l.ts).toISOString().slice(11, 19)} ${l.kind} ${l.text}${l.count > 1 ? ` ×${l.count}` : ''}\n`);
    }
    const live = new Set(state.log.map((l) => l.serial));
    for (const k of printed.keys()) if (!live.has(k)) printed.delete(k);
    for (const line of summaryLines(state)) out.write(`${line}\n`);
  }, everyMs);
  const stop = () => {
    clearInterval(timer);
    client.stop();
  };
  // Unhandled, a write error (a closed pipe) crashed the process with a stack trace.
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    stop();
    onClosed?.(e);
  });
  return stop;
}
