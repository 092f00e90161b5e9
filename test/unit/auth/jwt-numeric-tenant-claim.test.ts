/**
 * A tenant claim an identity provider writes as a JSON number (an organisation or account id: `"org_id": 4217`),
 * naming a tenant of that name (`tenants: { "4217": … }`): the claim was refused as invalid_claim, 401 for every
 * token, where the user claim already reads such a number as its decimal text. A safe integer names the tenant its
 * decimal text names; any other number (a fraction, past 2^53, where JSON's reading is no longer the issuer's) is
 * still refused.
 */
import { describe, expect, it } from 'vitest';
import { identityFromClaims } from '../../../src/auth/jwt-claims.js';

const names = { tenantClaim: 'org_id' };
const tenants = new Set(['4217', 'acme']);

describe('a numeric tenant claim', () => {
  it('names the tenant its decimal text names', () => {
    expect(identityFromClaims({ org_id: 4217 }, names, tenants)).toEqual({ ok: true, identity: { tenant: '4217' } });
    expect(identityFromClaims({ org_id: '4217' }, names, tenants)).toEqual({ ok: true, identity: { tenant: '4217' } });
  });

  it('is unknown when no tenant has that name, and invalid when it is no safe integer', () => {
    expect(identityFromClaims({ org_id: 99 }, names, tenants)).toMatchObject({ ok: false, reason: 'unknown_tenant' });
    expect(identityFromClaims({ org_id: 4217.5 }, names, tenants)).toMatchObject({ ok: false, reason: 'invalid_claim' });
    expect(identityFromClaims({ org_id: 2 ** 60 }, names, tenants)).toMatchObject({ ok: false, reason: 'invalid_claim' });
    expect(identityFromClaims({ org_id: true }, names, tenants)).toMatchObject({ ok: false, reason: 'invalid_claim' });
  });
});
