/**
 * A rate-limit rule on the client id with `type: Distinct` (a limit for every client) beside a rule for one client:
 * Envoy Gateway applies every rule a request matches ("The rate limit service will return a logical OR of the
 * individual rate limit decisions of all matching rules", the BackendTrafficPolicy CRD), so that client is held to
 * the stricter of the two. The import gave the Distinct rule only to clients without a rule of their own: a client
 * with a 1,000 rpm rule and a 100 rpm rule for everyone imported at 1,000, ten times what the cluster admits, unsaid.
 */
import { describe, expect, it } from 'vitest';
import { apiKeys, BASE, docs, imported, rateLimits, rule } from './manifests.js';

/** A rule for every client id (Distinct on the forwarded client id): `requests` per `unit`. */
const everyClient = (requests: number, unit: string): string =>
  `        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Distinct}]}]\n` +
  `          limit: {requests: ${requests}, unit: ${unit}}`;

type Tenants = Record<string, { limits?: Record<string, number> }>;

describe('a Distinct rule beside a rule for one client', () => {
  it.each([
    ['the client rule first', [rule('alice', 1000, 'Minute'), everyClient(100, 'Minute')]],
    ['the Distinct rule first', [everyClient(100, 'Minute'), rule('alice', 1000, 'Minute')]],
  ])('%s: that client gets the stricter, and the looser is named', (_order, rules) => {
    const r = imported(docs(BASE, apiKeys({ alice: '${ALICE_KEY}', bob: '${BOB_KEY}' }), rateLimits(...rules)));
    expect(r.problems).toEqual([]);
    const tenants = r.profile.tenants as Tenants;
    expect(tenants.alice!.limits).toEqual({ rpm: 100 });
    expect(tenants.bob!.limits).toEqual({ rpm: 100 });
    expect(r.said).toMatch(/another rule also sets the rpm of tenant alice: the profile keeps the strictest, 100 per 1m/);
  });

  it('a client rule stricter than the Distinct one: kept', () => {
    const r = imported(
      docs(
        BASE,
        apiKeys({ alice: '${ALICE_KEY}', bob: '${BOB_KEY}' }),
        rateLimits(rule('alice', 10, 'Minute'), everyClient(100, 'Minute')),
      ),
    );
    const tenants = r.profile.tenants as Tenants;
    expect(tenants.alice!.limits).toEqual({ rpm: 10 });
    expect(tenants.bob!.limits).toEqual({ rpm: 100 });
  });
});
