/**
 * One log line per finished request (and a line per cut, failure and reload), as JSON or a compact line.
 * Values a client or a backend chose (a model name, an upstream's error message) may hold newlines or
 * terminal escapes: both formats write them escaped, so a line cannot be forged or a terminal driven.
 */
import { CONTROL_CHARS } from '../core/printable.js';
import type { EventBus } from '../events/bus.js';
import type { GatewayEvent } from '../events/types.js';
import { LineBatch } from './line-batch.js';

export type LogFormat = 'json' | 'pretty' | 'off';

const color = (code: number, s: string, on: boolean) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Each UTF-16 unit as `\uXXXX` (a tag character is two: escaped as its pair, it stays one character in JSON). */
const escapeChar = (c: string) => {
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
};

/** A value for a pretty line: control characters shown as \uXXXX escapes. */
export function clean(v: string | undefined): string {
  return v === undefined ? '' : v.replace(CONTROL_CHARS, escapeChar);
}

/** A JSON line: JSON.stringify already escapes C0 controls; DEL, C1 and the separators are escaped too. */
export function jsonLine(e: GatewayEvent): string {
  return JSON.stringify(e).replace(CONTROL_CHARS, escapeChar);
}

export function prettyLine(e: GatewayEvent, useColor: boolean): string {
  const t = new Date(e.ts).toISOString().slice(11, 23);
  switch (e.type) {
    case 'request': {
      const st = color(e.status >= 500 ? 31 : e.status >= 400 ? 33 : 32, String(e.status), useColor);
      const route = e.backend ? `${clean(e.model)} → ${clean(e.backend)}` : clean(e.model);
      const ttft = e.ttftMs !== undefined ? ` ttft ${e.ttftMs.toFixed(0)}ms` : '';
      const aborted = e.clientAborted ? ' client-abort' : '';
      const truncated = e.truncated ? color(31, ' TRUNCATED', useColor) : '';
      const flags = `${aborted}${truncated}${e.errorCode ? ` ${clean(e.errorCode)}` : ''}`;
      const what = `${e.endpoint}${e.stream ? ' stream' : ''} ${route} ${e.durationMs.toFixed(1)}ms${ttft}`;
      return `${t} ${st} ${what} tok ${e.tokens.input}/${e.tokens.output} ${e.bytesOut}B${flags} ${clean(e.requestId)}`;
    }
    case 'truncation':
      return (
        `${t} ${color(31, 'truncation', useColor)} ${clean(e.model)} → ${clean(e.backend)} ${e.reason} delivered ${e.bytesDelivered}B` +
        `${e.bytesExpected !== undefined ? ` of ${e.bytesExpected}B` : ''} ${clean(e.requestId)}`
      );
    case 'upstream_error':
      return (
        `${t} ${color(33, 'upstream_error', useColor)} ${clean(e.model)} → ${clean(e.backend)} ${e.reason} ${clean(e.message)}` +
        `${e.retried ? ' (retrying)' : ''} ${clean(e.requestId)}`
      );
    case 'reload':
      return `${t} reload ${e.ok ? 'ok' : color(31, 'rejected', useColor)} ${clean(e.message)}`;
    case 'ratelimit':
      return `${t} ${color(33, '429', useColor)} ${clean(e.tenant)} ${clean(e.model)} ${e.kind} retry in ${e.retryAfterMs}ms ${clean(e.requestId)}`;
    case 'limits_store':
      return `${t} rate-limit store ${e.ok ? 'ok' : color(31, 'DOWN', useColor)} ${clean(e.message)}`;
    case 'ejection':
      return `${t} backend ${clean(e.backend)} ${e.ejected ? `ejected for ${e.cooldownMs}ms` : 'recovered'}${e.reason ? ` (${clean(e.reason)})` : ''}`;
  }
}

export function attachRequestLog(bus: EventBus, format: LogFormat, out: NodeJS.WritableStream = process.stdout): () => void {
  if (format === 'off') return () => {};
  const useColor = format === 'pretty' && (out as { isTTY?: boolean }).isTTY === true;
  // A log that fell behind says so in its own format: a JSON line is an object a log pipeline can parse.
  const lines = new LineBatch(out, undefined, undefined, (n) =>
    format === 'json'
      ? `${JSON.stringify({ type: 'log_dropped', ts: Date.now(), lines: n })}\n`
      : `${new Date().toISOString().slice(11, 23)} log: ${n} lines dropped: the log's reader fell behind\n`,
  );
  const unsubscribe = bus.subscribe((e) => lines.write(`${format === 'json' ? jsonLine(e) : prettyLine(e, useColor)}\n`));
  return () => {
    unsubscribe();
    lines.close();
  };
}
