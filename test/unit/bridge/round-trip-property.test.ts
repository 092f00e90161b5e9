/**
 * import(export(p)) routes as p, for generated profiles (fast-check, seeded): backend and model names that are no
 * Kubernetes names, weights whole and decimal, header matches with values YAML would read otherwise, fallbacks, tenants
 * with limits per model, rate windows of a unit's length. What export says it changes is left out: weights it rounds
 * (warned), tenant names it renames to client ids (warned), header names it lowercases (HTTP ignores their case).
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exportEnvoy } from '../../../src/bridge/envoy/export.js';
import { importEnvoy } from '../../../src/bridge/envoy/import.js';
import { uniqueLabels } from '../../../src/bridge/envoy/names.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import type { Profile } from '../../../src/profile/schema.js';

const opts = { namespace: 'default', gateway: 'aigw', includeSecrets: true };
const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,12}$/).filter((s) => !/^[0-9._:/-]+$/.test(s) && !/^\d/.test(s));

function routing(p: Profile, label: (b: string) => string) {
  const group = (ts: Profile['models'][string]['targets'], name: string) => {
    const total = ts.reduce((s, t) => s + t.weight, 0);
    return ts.map((t) => `${label(t.backend)} ${t.model ?? name} ${(t.weight / total).toFixed(3)}`).sort();
  };
  return Object.fromEntries(
    Object.entries(p.models).map(([name, m]) => [
      name,
      {
        targets: group(m.targets, name),
        fallbacks: m.fallbacks,
        match: (m.match ?? [])
          .map((r) =>
            JSON.stringify({
              headers: Object.entries(r.when.headers ?? {})
                .map(([k, v]) => [k.toLowerCase(), v])
                .sort(),
              tenant: r.when.tenant,
              targets: group(r.targets, name),
            }),
          )
          .sort(),
      },
    ]),
  );
}

describe('import(export(p)) routes as p', () => {
  it('for generated profiles', () => {
    const arb = fc
      .record({
        backends: fc.uniqueArray(nameArb, { minLength: 1, maxLength: 4, selector: (s) => s }),
        models: fc.uniqueArray(nameArb, { minLength: 1, maxLength: 4, selector: (s) => s }),
      })
      .chain(({ backends, models }) => {
        const target = fc.record(
          {
            backend: fc.constantFrom(...backends),
            model: fc.option(nameArb, { nil: undefined }),
            weight: fc.option(fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(0.5, 2.5, 33.3)), { nil: undefined }),
          },
          { requiredKeys: ['backend'] },
        );
        const targets = fc.uniqueArray(target, { minLength: 1, maxLength: 3, selector: (t) => t.backend });
        const header = fc.dictionary(
          fc.stringMatching(/^[xX]-[a-zA-Z]{1,5}$/),
          fc
            .string({
              minLength: 1,
              maxLength: 8,
              unit: fc.constantFrom(
                'a',
                'Z',
                '0',
                ' ',
                '"',
                "'",
                '#',
                ':',
                '{',
                '}',
                '[',
                '*',
                '&',
                '!',
                '%',
                '@',
                '`',
                '|',
                '>',
                '-',
                '?',
                ',',
                'é',
                '\\',
              ),
            })
            .filter((v) => v.trim() === v && !v.includes('${')),
          {
            minKeys: 1,
            maxKeys: 2,
          },
        );
        const model = fc.record(
          {
            targets,
            fallbacks: fc.subarray(models),
            match: fc.array(fc.record({ when: fc.record({ headers: header }), targets }), { minLength: 1, maxLength: 2 }),
          },
          { requiredKeys: ['targets'] },
        );
        const limits = fc.record(
          { tpm: fc.integer({ min: 1, max: 10_000_000 }), rpm: fc.integer({ min: 1, max: 100_000 }) },
          { requiredKeys: [] },
        );
        const tenant = fc.record(
          {
            keys: fc.array(fc.stringMatching(/^sk-[A-Za-z0-9]{4,10}$/), { minLength: 1, maxLength: 2 }),
            limits,
            modelLimits: fc.dictionary(fc.constantFrom(...models), limits, { maxKeys: 2 }),
          },
          { requiredKeys: ['keys'] },
        );
        return fc.record({
          version: fc.constant(1),
          tenants: fc.dictionary(nameArb, tenant, { maxKeys: 3 }).chain((ts) => tenant.map((t) => ({ ...ts, T1: t }))),
          limits: fc.record({ rateWindow: fc.constantFrom('1s', '30s', '60s', '1m', '1h', '24h') }),
          backends: fc.record(
            Object.fromEntries(
              backends.map((b) => [
                b,
                fc.record({ url: fc.constantFrom('http://vllm:8000/v1', 'https://api.openai.com/v1'), apiKey: fc.constant('sk-x') }),
              ]),
            ),
          ),
          models: fc.record(Object.fromEntries(models.map((m) => [m, model]))),
        });
      })
      .map((p) => {
        for (const [n, m] of Object.entries(p.models as Record<string, { fallbacks?: string[] }>))
          if (m.fallbacks) m.fallbacks = m.fallbacks.filter((f) => f !== n);
        return p;
      });
    fc.assert(
      fc.property(arb, (doc) => {
        const text = stringify(doc);
        const r = parseProfile(text, 'p.yaml', {});
        if (!r.ok) return true;
        const out = exportEnvoy(r.profile, doc, opts);
        if (out.warnings.some((w) => w.includes('rounded'))) return true;
        const manifests = renderStream(out.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
        const imported = importEnvoy([{ file: 'export.yaml', text: manifests }]);
        expect(imported.problems).toEqual([]);
        const anyEnv = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? `sk-${k}` : undefined), has: () => true });
        const back = parseProfile(renderDocument(imported.profile), 'back.yaml', anyEnv);
        expect(back.ok, back.ok ? '' : `${back.problems.map(formatProblem).join('\n')}\n${text}`).toBe(true);
        if (!back.ok) return;
        const labels = uniqueLabels(Object.keys(r.profile.backends), [opts.gateway]);
        const tl = (p: Profile) => {
          const perMinute = (n: number | undefined) => (n === undefined ? undefined : Math.round((n * 60_000) / p.limits.rateWindow));
          return Object.fromEntries(
            Object.entries(p.tenants ?? {}).map(([n, t]) => [
              n.replace(/[^A-Za-z0-9._-]/g, '-'),
              {
                tpm: perMinute(t.limits?.tpm),
                rpm: perMinute(t.limits?.rpm),
                models: Object.fromEntries(
                  Object.entries(t.modelLimits ?? {})
                    .filter(([, l]) => l.tpm !== undefined || l.rpm !== undefined)
                    .map(([m, l]) => [m, { tpm: perMinute(l.tpm), rpm: perMinute(l.rpm) }]),
                ),
              },
            ]),
          );
        };
        expect(tl(back.profile), `${text}\n${out.warnings.join('\n')}`).toEqual(tl(r.profile));
        expect(
          routing(back.profile, (b) => b),
          `${text}\n${out.warnings.join('\n')}`,
        ).toEqual(routing(r.profile, (b) => labels.get(b)!));
      }),
      { numRuns: 150, seed: 69 },
    );
  });
});
