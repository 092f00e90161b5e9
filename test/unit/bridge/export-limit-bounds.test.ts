/**
 * A tenant limit past what a rate-limit rule holds: Envoy Gateway's `limit.requests` is an int32 with a maximum of
 * 4,294,967,295, and a profile's tpm is any whole number — 5,000,000,000 tokens a minute for a tenant meant to be all
 * but unlimited, or a modest limit scaled up from a rateWindow that is no rate-limit unit. The export wrote it as it
 * was, and `kubectl apply` refused the whole BackendTrafficPolicy (retries, ejection and every tenant's limits with
 * it). It is written at the int32 bound now, said.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

const exportOf = (yaml: string): ExportResult => exportProfile(yaml, { ACME_KEY: 'sk-acme', SMALL_KEY: 'sk-small' });

const profile = (limits: string, window = '') => `version: 1
${window}backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  acme: { keys: ["\${ACME_KEY}"], limits: ${limits} }
  small: { keys: ["\${SMALL_KEY}"], limits: { rpm: 60 } }
`;

type Btp = { spec: { rateLimit: { global: { rules: { limit: { requests: number; unit: string } }[] } } } };
const limitsOf = (r: ExportResult) =>
  (r.objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value as unknown as Btp).spec.rateLimit.global.rules.map((x) => x.limit);

describe('rate limits past a rule’s bound', () => {
  it('tpm 5,000,000,000 a minute: written as 2,147,483,647, said; the other tenant as it was', () => {
    const r = exportOf(profile('{ tpm: 5000000000, rpm: 4294967296 }'));
    expect(limitsOf(r)).toEqual([
      { requests: 2_147_483_647, unit: 'Minute' },
      { requests: 2_147_483_647, unit: 'Minute' },
      { requests: 60, unit: 'Minute' },
    ]);
    const said = r.warnings.join('\n');
    expect(said).toMatch(/^tenants\.acme\.limits\.tpm: 5000000000 .*at most 2147483647/m);
    expect(said).toMatch(/^tenants\.acme\.limits\.rpm: 4294967296 .*at most 2147483647/m);
  });

  it('a limit scaled to a minute from a short window past the bound is held to it too', () => {
    const r = exportOf(profile('{ rpm: 100000000 }', 'limits: { rateWindow: 100ms }\n'));
    // 10^8 per 100 ms is 6·10^10 a minute.
    expect(limitsOf(r)[0]).toEqual({ requests: 2_147_483_647, unit: 'Minute' });
    expect(r.warnings.join('\n')).toMatch(/^tenants\.acme\.limits\.rpm: .*at most 2147483647/m);
  });

  it.skipIf(!crdsAvailable)('the BackendTrafficPolicy validates against its CRD', () => {
    const r = exportOf(profile('{ tpm: 5000000000, rpm: 4294967296 }'));
    const btp = r.objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value;
    const v = validateObject(btp);
    expect(v, JSON.stringify(v)).toEqual({ ok: true });
  });
});
