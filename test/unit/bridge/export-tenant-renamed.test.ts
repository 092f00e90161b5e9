/**
 * A tenant whose name a client id cannot hold (`org:acme`, `team/a`: a Secret key takes letters, digits, -, _ and .
 * only) is exported under another name — the cluster forwards that id to backends and keys its rate limits on it, and
 * the import of the export names the tenant by it. Said only when two tenants met at one id; a lone `org:acme` became
 * `org-acme` unsaid (import(export(p)) named a tenant no one wrote).
 */
import { describe, expect, it } from 'vitest';
import { exportProfile } from './profiles.js';

describe('a tenant name a client id cannot hold', () => {
  it('is exported under the id it becomes, said', () => {
    const r = exportProfile(`version: 1
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  "org:acme": { keys: [k-acme] }
  team/a: { keys: [k-team] }
  plain: { keys: [k-plain] }
`);
    const said = r.warnings.filter((w) => w.startsWith('tenants.'));
    expect(said).toEqual([
      expect.stringMatching(/^tenants\.org:acme: exported as client id org-acme: .*imported back, this tenant is named org-acme/),
      expect.stringMatching(/^tenants\.team\/a: exported as client id team-a: /),
    ]);
  });
});
