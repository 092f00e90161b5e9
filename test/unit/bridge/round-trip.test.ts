/**
 * Both ways (issue 11 acceptance): import(export(profile)) routes the same — models, targets and their
 * upstream names, weights, fallbacks, and the limits that map — and export(import(example)) validates
 * strictly against the CRDs for every official example.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exportEnvoy } from '../../../src/bridge/envoy/export.js';
import { ExportContext } from '../../../src/bridge/envoy/export-context.js';
import { bufferLimitFor } from '../../../src/bridge/envoy/export-gateway.js';
import { importEnvoy } from '../../../src/bridge/envoy/import.js';
import { uniqueLabels } from '../../../src/bridge/envoy/names.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import type { Profile } from '../../../src/profile/schema.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { EXAMPLES, loadExample } from './examples.js';
import { EXPORTABLE, loadFile } from './profiles.js';

const opts = { namespace: 'default', gateway: 'aigw', includeSecrets: false };

/** How a profile routes: per model, its targets (backend, upstream name, share of the weight) and fallbacks. */
function routing(p: Profile, backendName: (b: string) => string = (b) => b) {
  return Object.fromEntries(
    Object.entries(p.models).map(([name, m]) => {
      const total = m.targets.reduce((s, t) => s + t.weight, 0);
      const targets = m.targets.map((t) => `${backendName(t.backend)} ${t.model ?? name} ${(t.weight / total).toFixed(4)}`).sort();
      return [name, { targets, fallbacks: m.fallbacks }];
    }),
  );
}

/** The limits that carry over: per tenant tpm and rpm (and per model) as rates per minute, the request cap, timeouts, resilience. */
function limits(p: Profile) {
  const perMinute = (n: number | undefined) => (n === undefined ? undefined : (n * 60_000) / p.limits.rateWindow);
  return {
    tenants: Object.fromEntries(
      Object.entries(p.tenants ?? {}).map(([n, t]) => [
        n,
        {
          tpm: perMinute(t.limits?.tpm),
          rpm: perMinute(t.limits?.rpm),
          models: Object.fromEntries(
            Object.entries(t.modelLimits ?? {}).map(([m, l]) => [m, { tpm: perMinute(l.tpm), rpm: perMinute(l.rpm) }]),
          ),
        },
      ]),
    ),
    maxRequestBytes: p.limits.maxRequestBytes,
    timeouts: { connect: p.timeouts.connect, idle: p.timeouts.idle, request: p.timeouts.request },
    resilience: { attempts: p.resilience.attempts, consecutiveFailures: p.resilience.consecutiveFailures, cooldown: p.resilience.cooldown },
  };
}

const ENV = { ACME_KEY: 'sk-acme', GLOBEX_KEY: 'sk-globex', BENCH_LIMITED_KEY: 'sk-limited' };

describe('import(export(profile)) routes the same', () => {
  it.each(EXPORTABLE)('%s', (file) => {
    const { profile, raw } = loadFile(file, ENV);
    const exported = exportEnvoy(profile, raw, opts);
    const text = renderStream(exported.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
    const imported = importEnvoy([{ file: 'export.yaml', text }]);
    expect(imported.problems).toEqual([]);
    // Tenants whose single key is a literal in the profile come back as ${TENANT_…_KEY}: give those their value.
    const env: Record<string, string> = { ...ENV };
    for (const [name, t] of Object.entries(profile.tenants ?? {})) env[`TENANT_${name.toUpperCase()}_KEY`] = t.keys[0] ?? '';
    // Backend credentials come back as ${…_APIKEY} references too: any value will do for routing.
    for (const name of Object.keys(profile.backends)) env[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_APIKEY`] = 'sk-test';
    const back = parseProfile(renderDocument(imported.profile), 'round-trip.yaml', env);
    expect(back.ok, back.ok ? '' : back.problems.map(formatProblem).join('\n')).toBe(true);
    if (!back.ok) return;
    const labels = uniqueLabels(Object.keys(profile.backends), [opts.gateway]);
    expect(routing(back.profile)).toEqual(routing(profile, (b) => labels.get(b)!));
    for (const [name, b] of Object.entries(profile.backends))
      expect(back.profile.backends[labels.get(name)!]!.url).toBe(b.url.replace(/\/+$/, ''));
    // One Envoy buffer holds request bodies too: a request cap above it comes back as the buffer (export warned).
    const buffer = bufferLimitFor(new ExportContext(profile, raw, opts)).bytes;
    expect(limits(back.profile)).toEqual({ ...limits(profile), maxRequestBytes: Math.min(profile.limits.maxRequestBytes, buffer) });
    if (profile.limits.maxRequestBytes > buffer) expect(exported.warnings.join('\n')).toMatch(/limits.maxRequestBytes: .*413/);
    // What does not map comes back as Envoy would behave: every non-streamed answer buffered, failing as Envoy does.
    const rb = profile.limits.responseBuffer;
    expect(back.profile.limits.responseBuffer).toEqual({ mode: 'buffered', maxBytes: buffer, onOverflow: 'envoy' });
    expect(buffer).toBe(rb.mode === 'buffered' ? rb.maxBytes : Math.max(50 * 1024 ** 2, profile.limits.maxRequestBytes));
  });
});

describe.skipIf(!crdsAvailable)('export(import(example)) validates against the CRDs', () => {
  for (const e of EXAMPLES) {
    it(e.name, async () => {
      const { result } = await loadExample(e);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const out = exportEnvoy(result.profile, result.raw, opts);
      const text = renderStream(out.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJS();
        expect(validateObject(obj), `${obj.kind}/${obj.metadata?.name}`).toEqual({ ok: true });
      }
    });
  }
});
