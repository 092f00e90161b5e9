/**
 * A reload that changes `limits.rateWindow` is no way to reset a limit (attacker review). The in-process store starts
 * fresh windows then, and made a fresh debt of each key too: a tenant owing ten windows of tokens (a debt drains at
 * one limit a window, store.ts) was admitted at once after the reload. The debt is tokens owed: it carries.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';

async function limiter(window: string, previous?: Limiter) {
  const r = parseProfile(
    `version: 1
limits: { rateWindow: ${window} }
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { tpm: 1000 } } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const l = await Limiter.create(r.profile, new EventBus(), previous);
  return { l, tenant: new TenantDirectory(r.profile).tenants.get('acme')! };
}

describe('a reload that changes limits.rateWindow', () => {
  it("keeps a tenant's carried token debt", async () => {
    const before = await limiter('60s');
    const a = await before.l.admit(before.tenant, 'm', 100, 'lease-1', 'req-1');
    if ('code' in a) throw new Error('refused');
    // Reserved 100, used 11,000: the window holds 1,000, and 10,000 carry — ten windows' worth (10 min at 60 s).
    await a.store.settle(a.reservation!, 11_000);
    expect(await before.l.admit(before.tenant, 'm', 10, 'lease-2', 'req-2')).toMatchObject({ type: 'tokens' });

    const after = await limiter('30s', before.l);
    // Still owed: ~10,000 tokens, draining at 1,000 a 30 s window — about five minutes, not none.
    const refused = await after.l.admit(after.tenant, 'm', 10, 'lease-3', 'req-3');
    if (!('code' in refused)) throw new Error('admitted: the reload erased the debt');
    expect(refused.type).toBe('tokens');
    expect(Number(refused.headers?.['retry-after'])).toBeGreaterThan(200);
    await before.l.close();
    await after.l.close();
  });
});
