/**
 * A global rate-limit rule without `shared: true` is counted by Envoy Gateway per route it generates — its xDS
 * translator prefixes the rule's descriptor with the route's name, and an AIGatewayRoute is one route per rule — so a
 * rule on the client id alone is a limit on each model apart. The import read it as the tenant's limit across every
 * model: over two models the profile admitted half of what the cluster does, unsaid. Now each model gets the limit
 * (modelLimits), said; a `shared: true` rule (what `export envoy` writes) is the tenant's, as before.
 */
import { describe, expect, it } from 'vitest';
import { apiKeys, backend, docs, imported, ROUTE, rateLimits, rule } from './manifests.js';

/** Route `r`: models m1 and m2 (one rule each) → b1. */
const TWO_MODELS = `${ROUTE}
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m2}]}]
      backendRefs: [{name: b1}]
---
${backend('b1')}`;

type Tenants = Record<string, { limits?: Record<string, number>; modelLimits?: Record<string, Record<string, number>> }>;

describe('rate-limit rules counted per route, or shared', () => {
  it('a rule on the client id alone, not shared: a limit on each model, said', () => {
    const r = imported(docs(TWO_MODELS, apiKeys({ alice: '${ALICE_KEY}' }), rateLimits(rule('alice', 100, 'Minute'))));
    expect(r.problems).toEqual([]);
    const alice = (r.profile.tenants as Tenants).alice!;
    expect(alice.limits).toBeUndefined();
    expect(alice.modelLimits).toEqual({ m1: { rpm: 100 }, m2: { rpm: 100 } });
    expect(r.said).toMatch(/not shared: Envoy Gateway counts this rule per route, each model's apart/);
  });

  it('the same rule shared: the tenant’s limit across the models', () => {
    const shared = `${rule('alice', 100, 'Minute')}\n          shared: true`;
    const r = imported(docs(TWO_MODELS, apiKeys({ alice: '${ALICE_KEY}' }), rateLimits(shared)));
    expect(r.problems).toEqual([]);
    const alice = (r.profile.tenants as Tenants).alice!;
    expect(alice.limits).toEqual({ rpm: 100 });
    expect(alice.modelLimits).toBeUndefined();
    expect(r.said).not.toMatch(/not shared/);
  });

  it('a not-shared rule and a stricter per-model one: the strictest is kept for that model', () => {
    const r = imported(
      docs(TWO_MODELS, apiKeys({ alice: '${ALICE_KEY}' }), rateLimits(rule('alice', 100, 'Minute'), rule('alice', 10, 'Minute', 'm2'))),
    );
    expect((r.profile.tenants as Tenants).alice!.modelLimits).toEqual({ m1: { rpm: 100 }, m2: { rpm: 10 } });
  });
});
