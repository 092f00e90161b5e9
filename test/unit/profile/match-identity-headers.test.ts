/**
 * A match rule on an identity header routes on what the client sent there — and any client may send one: the
 * gateway drops a client's x-aigw-tenant, x-aigw-user and every forwardIdentity name before a backend sees them,
 * and says the tenant itself. `when: { headers: { x-tenant: acme } }` beside `forwardIdentity: { tenantHeader:
 * x-tenant }` sent globex's requests carrying `x-tenant: acme` to acme's own targets (the backend told
 * `x-tenant: globex`): one tenant used another's dedicated capacity by naming it. `when: { tenant }` is the rule
 * that reads the authenticated tenant; such a header rule is refused.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';

const profile = (when: string, forwardIdentity = '{ tenantHeader: x-tenant, userHeader: x-end-user }') => `version: 1
backends:
  shared: { url: "http://127.0.0.1:8001" }
  acme-own: { url: "http://127.0.0.1:8002", forwardIdentity: ${forwardIdentity} }
models:
  m:
    targets: [{ backend: shared }]
    match:
      - when: ${when}
        targets: [{ backend: acme-own }]
tenants:
  acme: { keys: [sk-acme-0001] }
  globex: { keys: [sk-globex-0001] }
`;

const problems = (text: string) => {
  const r = parseProfile(text, 'p.yaml', {});
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('a match rule on a header the gateway owns as identity', () => {
  const refused: [string, string][] = [
    ["a backend's tenantHeader", '{ headers: { x-tenant: acme } }'],
    ['the same name in another case', '{ headers: { X-Tenant: acme } }'],
    ["a backend's userHeader", '{ headers: { x-end-user: alice } }'],
    ['x-aigw-tenant, dropped from every client', '{ headers: { x-aigw-tenant: acme } }'],
    ['x-aigw-user, dropped from every client', '{ headers: { x-aigw-user: alice } }'],
    ['a spelling the gateway drops as the same name', '{ headers: { x_tenant: acme } }'],
  ];
  for (const [name, when] of refused) {
    it(`is refused: ${name}`, () => {
      expect(problems(profile(when))).toEqual([expect.stringMatching(/^models\.m\.match\[0\]\.when\.headers\.[^:]+: .*when: \{ tenant/)]);
    });
  }

  it('a rule on the tenant, or on a header the gateway does not own, still loads', () => {
    expect(problems(profile('{ tenant: acme }'))).toEqual([]);
    expect(problems(profile('{ headers: { x-tier: gold } }'))).toEqual([]);
    // x-tenant is nobody's identity header here: a plain client header, as the contract's example routes on.
    expect(problems(profile('{ headers: { x-tenant: acme } }', '{ userHeader: x-end-user }'))).toEqual([]);
  });
});
