/**
 * A tenant's requests in flight on this gateway — from the body's first byte until the response is gone — held to
 * its concurrency limit. Its leases are taken at admission, once the body is in: before that, requests of a tenant
 * held to `concurrency: 1` trickling their bodies filled the whole gateway's `limits.maxInflight` (each held until
 * `timeouts.request`), and every other tenant got 503. Counted to the response's end, not the body's, so that
 * bodies still arriving and answers under way together stay within the limit. A replica's count is at most the
 * shared store's, so this refuses nothing the limiter would admit. Tenant-wide limits only: the model, and so a
 * per-model limit, is known once the body is read.
 */
import { type AigwError, aigwError } from '../core/errors.js';
import type { Tenant } from '../tenants/keys.js';
import { refusalMessage } from '../tenants/limiter.js';

/** Keyed by the tenant's configuration: a JWT caller's narrowed Tenant is a new object each request, its config is not. */
const inFlight = new WeakMap<Tenant['config'], number>();

/**
 * Counts one more request of `tenant`'s in; a refusal when its concurrency limit is reached (else the function
 * that frees the place, to call once when the response is gone). Nothing to count without a tenant-wide limit.
 */
export function takePlace(tenant: Tenant | undefined): AigwError | (() => void) | undefined {
  const limit = tenant?.config.limits?.concurrency;
  if (limit === undefined) return undefined;
  const config = tenant!.config;
  const n = inFlight.get(config) ?? 0;
  if (n >= limit) {
    // Worded and retried as the limiter's own concurrency refusal (a second, or never for a limit of 0).
    const never = limit === 0;
    return aigwError('rate_limit_exceeded', refusalMessage('concurrency', tenant!.name, never, 1000, 0, 0), {
      type: 'concurrency',
      headers: never ? { 'x-should-retry': 'false' } : { 'retry-after': '1', 'retry-after-ms': '1000' },
    });
  }
  inFlight.set(config, n + 1);
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    const left = (inFlight.get(config) ?? 1) - 1;
    if (left > 0) inFlight.set(config, left);
    else inFlight.delete(config);
  };
}
