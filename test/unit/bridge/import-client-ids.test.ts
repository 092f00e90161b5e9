/**
 * Client ids that read as one tenant name on import. A Secret key may start with `.`, `-` or `_`, which a profile
 * name may not, so `.acme` became tenant `t.acme` — the name a client id `t.acme` beside it has: the second key
 * replaced the first without a word (that client was refused by aigw where the cluster lets it in) and both ids'
 * rate-limit rules landed on the one tenant (the stricter kept for both). And a client id in two Secrets of one
 * policy is the first Secret's in Envoy Gateway (buildAPIKeyAuth skips an id it has seen); the import kept the last.
 */
import { describe, expect, it } from 'vitest';
import { apiKeys, BASE, docs, imported, rateLimits, rule } from './manifests.js';

type Tenants = Record<string, { keys: string[]; limits?: Record<string, number> }>;

/** A SecurityPolicy on route `r` reading two Secrets, `first` and `second`. */
const twoSecrets = (first: Record<string, string>, second: Record<string, string>): string => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: sp}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  apiKeyAuth:
    credentialRefs: [{group: "", kind: Secret, name: first}, {group: "", kind: Secret, name: second}]
    extractFrom: [{headers: [authorization]}]
    forwardClientIDHeader: x-aigw-tenant
---
apiVersion: v1
kind: Secret
metadata: {name: first}
stringData: ${JSON.stringify(first)}
---
apiVersion: v1
kind: Secret
metadata: {name: second}
stringData: ${JSON.stringify(second)}
`;

describe('client ids that read as one tenant', () => {
  it('.acme and t.acme: two tenants, each its own key and its own limit, the renamed one said', () => {
    const r = imported(
      docs(
        BASE,
        apiKeys({ '.acme': '${DOT_ACME_KEY}', 't.acme': '${T_ACME_KEY}' }),
        rateLimits(rule('.acme', 10, 'Minute'), rule('t.acme', 1000, 'Minute')),
      ),
    );
    expect(r.problems).toEqual([]);
    const tenants = r.profile.tenants as Tenants;
    // The id that is a name already keeps it; the other gets a name no other client id has.
    expect(tenants['t.acme']).toEqual({ keys: ['${T_ACME_KEY}'], limits: { rpm: 1000 } });
    const renamed = Object.keys(tenants).filter((n) => n !== 't.acme');
    expect(renamed).toHaveLength(1);
    expect(tenants[renamed[0]!]).toEqual({ keys: ['${DOT_ACME_KEY}'], limits: { rpm: 10 } });
    expect(r.said).toMatch(new RegExp(`client id \\.acme is imported as tenant ${renamed[0]!.replace(/[.]/g, '\\.')}`));
    expect(r.said).not.toMatch(/another rule also sets/);
  });

  it('one client id in two Secrets of a policy: the first Secret’s key, as Envoy Gateway keeps it, the other said', () => {
    const r = imported(docs(BASE, twoSecrets({ acme: '${FIRST_KEY}' }, { acme: '${SECOND_KEY}', globex: '${GLOBEX_KEY}' })));
    expect(r.problems).toEqual([]);
    const tenants = r.profile.tenants as Tenants;
    expect(tenants.acme).toEqual({ keys: ['${FIRST_KEY}'] });
    expect(tenants.globex).toEqual({ keys: ['${GLOBEX_KEY}'] });
    expect(r.said).toMatch(/Secret\/default\/second.*client id acme is already read from Secret default\/first/);
  });
});
