/** Identity headers to backends: always stripped from the client first, set only from what the gateway established. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Caller, compileForwardIdentity, forwardIdentityProblems, identityHeaders } from '../../../src/auth/forward-identity.js';

const fi = compileForwardIdentity({ tenantHeader: 'X-AIGW-Tenant', userHeader: 'x-aigw-user' })!;

describe('compileForwardIdentity', () => {
  it('strips every configured name, lower-cased', () => {
    expect(fi.strip).toEqual(['x-aigw-tenant', 'x-aigw-user']);
    expect(compileForwardIdentity({ userHeader: 'X-User' })!.strip).toEqual(['x-user']);
    expect(compileForwardIdentity(undefined)).toBeUndefined();
    expect(compileForwardIdentity({})).toBeUndefined();
  });

  it('refuses names that are not header names, reserved ones, and one name for both', () => {
    expect(forwardIdentityProblems({ tenantHeader: 'x-aigw-tenant', userHeader: 'x-aigw-user' })).toEqual([]);
    const keys = (cfg: Parameters<typeof forwardIdentityProblems>[0]) => forwardIdentityProblems(cfg).map((p) => p.key);
    expect(keys({ tenantHeader: 'x tenant' })).toEqual(['tenantHeader']);
    expect(keys({ tenantHeader: 'x-tenant\r\nx-evil' })).toEqual(['tenantHeader']);
    expect(keys({ userHeader: 'Authorization' })).toEqual(['userHeader']);
    expect(keys({ tenantHeader: 'Host' })).toEqual(['tenantHeader']);
    expect(keys({ tenantHeader: 'x-id', userHeader: 'X-ID' })).toEqual(['userHeader']);
  });
});

describe('identityHeaders', () => {
  const cases: { name: string; caller: Caller; client?: string | string[]; want: ReturnType<typeof identityHeaders> }[] = [
    {
      name: 'a key tenant: its name, and the user it names',
      caller: { tenant: 'acme', clientMayNameUser: true },
      client: 'ann',
      want: {
        set: [
          ['x-aigw-tenant', 'acme'],
          ['x-aigw-user', 'ann'],
        ],
        userRefused: false,
      },
    },
    {
      name: 'a JWT user wins over what the client sent',
      caller: { tenant: 'acme', user: 'bob@acme.example', clientMayNameUser: true },
      client: 'mallory',
      want: {
        set: [
          ['x-aigw-tenant', 'acme'],
          ['x-aigw-user', 'bob@acme.example'],
        ],
        userRefused: false,
      },
    },
    {
      name: 'no tenant (auth off): nothing is set, whatever the client sent',
      caller: { clientMayNameUser: true },
      client: 'mallory',
      want: { set: [], userRefused: false },
    },
    {
      name: 'a tenant not allowed to name users: its name only',
      caller: { tenant: 'acme', clientMayNameUser: false },
      client: 'ann',
      want: { set: [['x-aigw-tenant', 'acme']], userRefused: false },
    },
    {
      name: 'a client user that cannot be forwarded is refused, not passed',
      caller: { tenant: 'acme', clientMayNameUser: true },
      client: 'ann\u00e9',
      want: { set: [['x-aigw-tenant', 'acme']], userRefused: true },
    },
    {
      name: 'a repeated client user header is refused',
      caller: { tenant: 'acme', clientMayNameUser: true },
      client: ['ann', 'bob'],
      want: { set: [['x-aigw-tenant', 'acme']], userRefused: true },
    },
  ];
  for (const c of cases) it(c.name, () => expect(identityHeaders(fi, c.caller, c.client)).toEqual(c.want));

  it('never sets a value that could break a header, whatever the client sends (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.oneof(fc.string({ unit: 'binary' }), fc.array(fc.string())), { nil: undefined }),
        fc.boolean(),
        (client, may) => {
          const r = identityHeaders(fi, { tenant: 'acme', clientMayNameUser: may }, client);
          for (const [name, value] of r.set) {
            expect(fi.strip).toContain(name);
            expect(value).toMatch(/^[\x20-\x7e]{1,256}$/);
          }
          expect(r.set.filter(([n]) => n === 'x-aigw-tenant')).toEqual([['x-aigw-tenant', 'acme']]);
        },
      ),
    );
  });
});
