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
import type { RateLimitEvent } from '../events/types.js';
import type { Tenant } from '../tenants/keys.js';
import { refusalMessage } from '../tenants/limiter.js';

/**
 * One gateway's count of each tenant's requests in flight (GatewayState.places), by tenant name, as the limiter keys
 * its leases: it outlives reloads, as they do. A reload makes every tenant's configuration anew while the requests
 * taken before it still hold their places: counted per configuration object, the count began at 0 after each reload,
 * and a tenant held to concurrency 1 trickling one body a reload filled the whole limits.maxInflight after three. (A
 * JWT caller's narrowed Tenant, a new object each request, has its tenant's name.) An entry goes when its count is 0.
 */
export type TenantPlaces = Map<string, number>;

/**
 * Counts one more request of `tenant`'s in; a refusal when its concurrency limit is reached (else the function
 * that frees the place, to call once when the response is gone). Nothing to count without a tenant-wide limit.
 */
export function takePlace(tenant: Tenant | undefined, inFlight: TenantPlaces): AigwError | (() => void) | undefined {
  const limit = tenant?.config.limits?.concurrency;
  if (limit === undefined) return undefined;
  const name = tenant!.name;
  const n = inFlight.get(name) ?? 0;
  if (n >= limit) {
    // Worded and retried as the limiter's own concurrency refusal (a second, or never for a limit of 0).
    const never = limit === 0;
    return aigwError('rate_limit_exceeded', refusalMessage('concurrency', tenant!.name, never, 1000, 0, 0), {
      type: 'concurrency',
      headers: never ? { 'x-should-retry': 'false' } : { 'retry-after': '1', 'retry-after-ms': '1000' },
    });
  }
  inFlight.set(name, n + 1);
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    const left = (inFlight.get(name) ?? 1) - 1;
    if (left > 0) inFlight.set(name, left);
    else inFlight.delete(name);
  };
}

/**
 * The `ratelimit` event of a refusal by takePlace, as the limiter tells its own concurrency refusals: without it a
 * tenant's concurrency 429s — on one replica nearly all of them are refused here, before the limiter is asked — were
 * counted in neither aigw_rate_limited_total nor /aigw/stats' `rejected`, nor shown among top's 429s. `model` is ''
 * while the body is unread (the request's event says the same).
 */
export function placeRefusal(tenant: Tenant, requestId: string, model: string): RateLimitEvent {
  const never = tenant.config.limits?.concurrency === 0;
  return { type: 'ratelimit', ts: Date.now(), requestId, tenant: tenant.name, model, kind: 'concurrency', retryAfterMs: never ? -1 : 1000 };
}
