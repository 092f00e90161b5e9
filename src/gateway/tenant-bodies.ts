/**
 * A tenant's requests still sending their bodies, held to its concurrency limit. Its leases are taken at admission,
 * once the body is in: before that, requests of a tenant held to `concurrency: 1` trickling their bodies filled the
 * whole gateway's `limits.maxInflight` (each held until `timeouts.request`), and every other tenant got 503.
 * Tenant-wide limits only: the model, and so a per-model limit, is known once the body is read.
 */
import { type AigwError, aigwError } from '../core/errors.js';
import type { Tenant } from '../tenants/keys.js';

/** Keyed by the tenant's configuration: a JWT caller's narrowed Tenant is a new object each request, its config is not. */
const reading = new WeakMap<Tenant['config'], number>();

/**
 * Counts one more body of `tenant`'s in; a refusal when its concurrency limit is reached (the release function
 * otherwise, to call once when the body is read or abandoned). Nothing to count without a tenant-wide limit.
 */
export function startBody(tenant: Tenant | undefined): AigwError | (() => void) | undefined {
  const limit = tenant?.config.limits?.concurrency;
  if (limit === undefined) return undefined;
  const config = tenant!.config;
  const n = reading.get(config) ?? 0;
  if (n >= limit) {
    const never = limit === 0;
    return aigwError(
      'rate_limit_exceeded',
      never
        ? `Rate limit for ${tenant!.name} on concurrency can never admit this request`
        : `Rate limit reached for ${tenant!.name} on concurrency: ${n} of its requests are still sending their bodies. Try again in 1.000s.`,
      { type: 'concurrency', headers: never ? { 'x-should-retry': 'false' } : { 'retry-after': '1', 'retry-after-ms': '1000' } },
    );
  }
  reading.set(config, n + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (reading.get(config) ?? 1) - 1;
    if (left > 0) reading.set(config, left);
    else reading.delete(config);
  };
}
