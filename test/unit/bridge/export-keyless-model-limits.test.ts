/**
 * A tenant reached by JWT or client certificate alone (no API key, the only identity the export writes) has no rate-limit
 * rules in the cluster. Its tenant-wide tpm/rpm were said to be lost; its per-model ones (`modelLimits`) were dropped
 * without a word, so the export read as if that tenant's model limits carried over. Each is said now.
 */
import { describe, expect, it } from 'vitest';
import { exportProfile } from './profiles.js';

const JWT = `  jwt: { jwks: "https://idp.example.com/.well-known/jwks.json", issuer: "https://idp.example.com/", audience: aigw }`;

describe('a keyless tenant’s limits', () => {
  it('modelLimits tpm and rpm: each said not exported', () => {
    const r = exportProfile(`version: 1
auth:
${JWT}
backends: { b: { url: "http://10.0.0.7:8000/v1" } }
models: { m: { targets: [{ backend: b }] }, n: { targets: [{ backend: b }] } }
tenants:
  acme: { modelLimits: { m: { tpm: 1000 }, n: { rpm: 5 } } }
`);
    const said = r.warnings.join('\n');
    expect(said).toMatch(/^tenants\.acme\.modelLimits\.m: not exported: this tenant has no API key/m);
    expect(said).toMatch(/^tenants\.acme\.modelLimits\.n: not exported: this tenant has no API key/m);
    const traffic = r.objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value.spec as Record<string, unknown>;
    expect(traffic.rateLimit).toBeUndefined();
  });
});
