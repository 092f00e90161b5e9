/**
 * Tenants whose names read as one client id (`x:;!@`, `x!:;@`, … all `x----`) each get their own id and key variable, in
 * time linear in them: each counted its suffix up from -2 past every one given, quadratic — 2,048 such tenants took
 * about a second, 20,000 of them 16 s (bridge review).
 */
import { expect, it } from 'vitest';
import { ExportContext } from '../../../src/bridge/envoy/export-context.js';
import { DEFAULT_EXPORT } from '../../../src/bridge/envoy/export.js';
import { clientIds } from '../../../src/bridge/envoy/export-tenants.js';
import type { Profile } from '../../../src/profile/schema.js';

const INVALID = [...':;!@#$%^&*()+=[]{}|<>,?/~'];
const N = 20_000;

it('20,000 tenants of one client id are each given their own, at once', () => {
  const names: string[] = [];
  for (const a of INVALID)
    for (const b of INVALID) for (const c of INVALID) for (const d of INVALID) if (names.length < N) names.push(`x${a}${b}${c}${d}`);
  const profile = { backends: {}, models: {}, tenants: Object.fromEntries(names.map((n) => [n, { keys: ['k'] }])) } as unknown as Profile;
  const started = performance.now();
  const ids = clientIds(new ExportContext(profile, {}, DEFAULT_EXPORT));
  const ms = performance.now() - started;
  expect(ids.size).toBe(N);
  expect(new Set([...ids.values()].map((c) => c.id)).size).toBe(N);
  expect(new Set([...ids.values()].map((c) => c.variable)).size).toBe(N);
  expect(ids.get(names[0]!)).toEqual({ id: 'x----', variable: 'TENANT_X_KEY' });
  expect(ids.get(names[1]!)!.id).toBe('x-----2');
  expect(ms).toBeLessThan(2000);
});
