/**
 * A profile whose tenants are reached by JWT (auth.jwt) or client certificate (mtls) only — no tenant with an API key:
 * aigw asks every client for credentials (401 without), but the export wrote no SecurityPolicy at all (it expresses API
 * keys only, said as "not exported"), so the cluster it wrote let anyone in and spent the backends' keys for them. The
 * export now fails closed: a SecurityPolicy on the routes denies every request until a jwt provider (or the keys) is
 * added, said; a profile without tenants (open in aigw too) gets none.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
const objects = (r: ExportResult): Obj[] =>
  parseAllDocuments(renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)))).map((d) => d.toJS() as Obj);

const JWT = `  jwt: { jwks: "https://idp.example.com/.well-known/jwks.json", issuer: "https://idp.example.com/", audience: aigw }`;
const profile = (auth: string, tenants: string) => `version: 1
${auth}
backends: { b: { url: "http://10.0.0.7:8000/v1" } }
models: { m: { targets: [{ backend: b }] } }
${tenants}`;

describe('tenants the export cannot authenticate', () => {
  it('JWT tenants only: a SecurityPolicy denies every request (never an open cluster), said; it validates', () => {
    const out = exportProfile(profile(`auth:\n${JWT}`, 'tenants:\n  acme: { keys: [] }\n'));
    const policies = objects(out).filter((o) => o.kind === 'SecurityPolicy');
    expect(policies).toHaveLength(1);
    expect(policies[0]!.spec.authorization).toEqual({ defaultAction: 'Deny' });
    expect(policies[0]!.spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'aigw' }]);
    expect(out.warnings.join('\n')).toMatch(/^tenants: .*no tenant has an API key.*denies every request/m);
    if (crdsAvailable) for (const o of objects(out)) expect(validateObject(o), `${o.kind}/${o.metadata.name}`).toEqual({ ok: true });
  });

  it('keyed tenants beside JWT ones: apiKeyAuth as before (JWT clients refused there), no deny policy', () => {
    const out = exportProfile(profile(`auth:\n${JWT}`, 'tenants:\n  acme: { keys: [] }\n  globex: { keys: [sk-globex-123456] }\n'));
    const policies = objects(out).filter((o) => o.kind === 'SecurityPolicy');
    expect(policies).toHaveLength(1);
    expect(policies[0]!.spec.apiKeyAuth).toBeDefined();
    expect(policies[0]!.spec.authorization).toBeUndefined();
  });

  it('no tenants (open in aigw too): no SecurityPolicy', () => {
    const out = exportProfile(profile('', ''));
    expect(objects(out).filter((o) => o.kind === 'SecurityPolicy')).toEqual([]);
  });
});
