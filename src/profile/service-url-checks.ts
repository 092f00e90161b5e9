/**
 * The URLs of the services a profile names beside its backends — the OTLP collector and the Redis store — as the
 * libraries that use them read them. The schema only checks how each begins; a URL that begins well and does not
 * parse (a port past 65535, a broken [IPv6] host, a space) passed validate and failed when the gateway built its
 * services: at start as "cannot listen on ADDRESS", at a reload with the OTLP exporter's own message, which quotes
 * the whole URL — a token in its userinfo or query on stderr and in the refused reload's admin event.
 */
import { trimEndRun } from '../core/trim-run.js';
import type { Report } from './checks.js';
import type { Profile } from './schema.js';

/** Never quoted: either URL may hold a credential (a Redis password, a collector's token). */
const UNPARSED = 'does not parse as a URL (a port past 65535, a malformed host, a space?)';

export function checkServiceUrls(p: Profile, report: Report): void {
  const otlp = p.observe.tracing?.otlp;
  if (otlp !== undefined) {
    // As the exporter builds its URL (observe/tracing-otel.ts): a query or fragment would swallow the path after it,
    // and spans would go to the collector's root.
    const url = URL.canParse(otlp) ? new URL(otlp) : undefined;
    if (!url || !URL.canParse(`${trimEndRun(otlp, '/')}/v1/traces`)) report('error', ['observe', 'tracing', 'otlp'], UNPARSED);
    else if (url.search || url.hash)
      report('error', ['observe', 'tracing', 'otlp'], 'expected a base URL without ?query or #fragment: spans go to {otlp}/v1/traces');
  }
  const redis = p.limits.store?.redis;
  // ioredis reads a redis:// or rediss:// URL with the WHATWG parser and throws at a URL it refuses.
  if (redis !== undefined && !URL.canParse(redis)) report('error', ['limits', 'store', 'redis'], UNPARSED);
}
