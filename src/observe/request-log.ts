/** One log line per finished request (and a line per cut, failure and reload), as JSON or a compact line. */
import type { EventBus } from '../events/bus.js';
import type { GatewayEvent } from '../events/types.js';

export type LogFormat = 'json' | 'pretty' | 'off';

const color = (code: number, s: string, on: boolean) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function prettyLine(e: GatewayEvent, useColor: boolean): string {
  const t = new Date(e.ts).toISOString().slice(11, 23);
  switch (e.type) {
    case 'request': {
      const st = color(e.status >= 500 ? 31 : e.status >= 400 ? 33 : 32, String(e.status), useColor);
      const route = e.backend ? `${e.model} → ${e.backend}` : e.model;
      const ttft = e.ttftMs !== undefined ? ` ttft ${e.ttftMs.toFixed(0)}ms` : '';
      const aborted = e.clientAborted ? ' client-abort' : '';
      const truncated = e.truncated ? color(31, ' TRUNCATED', useColor) : '';
      const flags = `${aborted}${truncated}${e.errorCode ? ` ${e.errorCode}` : ''}`;
      const what = `${e.endpoint}${e.stream ? ' stream' : ''} ${route} ${e.durationMs.toFixed(1)}ms${ttft}`;
      return `${t} ${st} ${what} tok ${e.tokens.input}/${e.tokens.output} ${e.bytesOut}B${flags} ${e.requestId}`;
    }
    case 'truncation':
      return (
        `${t} ${color(31, 'truncation', useColor)} ${e.model} → ${e.backend} ${e.reason} delivered ${e.bytesDelivered}B` +
        `${e.bytesExpected !== undefined ? ` of ${e.bytesExpected}B` : ''} ${e.requestId}`
      );
    case 'upstream_error':
      return (
        `${t} ${color(33, 'upstream_error', useColor)} ${e.model} → ${e.backend} ${e.reason} ${e.message}` +
        `${e.retried ? ' (retrying)' : ''} ${e.requestId}`
      );
    case 'reload':
      return `${t} reload ${e.ok ? 'ok' : color(31, 'rejected', useColor)} ${e.message}`;
    case 'ratelimit':
      return `${t} ${color(33, '429', useColor)} ${e.tenant} ${e.model} ${e.kind} retry in ${e.retryAfterMs}ms ${e.requestId}`;
    case 'limits_store':
      return `${t} rate-limit store ${e.ok ? 'ok' : color(31, 'DOWN', useColor)} ${e.message}`;
    case 'ejection':
      return `${t} backend ${e.backend} ${e.ejected ? `ejected for ${e.cooldownMs}ms` : 'recovered'}`;
  }
}

export function attachRequestLog(bus: EventBus, format: LogFormat, out: NodeJS.WritableStream = process.stdout): () => void {
  if (format === 'off') return () => {};
  const useColor = format === 'pretty' && (out as { isTTY?: boolean }).isTTY === true;
  return bus.subscribe((e) => out.write(`${format === 'json' ? JSON.stringify(e) : prettyLine(e, useColor)}\n`));
}
