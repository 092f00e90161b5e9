/**
 * Trust class 10 and the one-way house's total reload, on a real `aigw serve` process: a reload applies
 * everything it can for real — the rate window, a tenant's limit, the admin key (the old one stops, the new
 * one starts) — and refuses, naming the setting, what needs a restart or would turn authentication off.
 * A rename-based write is picked up whole.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { eventually } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const profile = (o: { window: string; tpm: number; adminKey: string; tenants?: boolean; listen?: string }) => `
version: 1
listen: ${o.listen ?? '127.0.0.1:0'}
admin: { listen: 127.0.0.1:0, key: ${o.adminKey} }
limits: { rateWindow: ${o.window}, defaultCompletionTokens: 10 }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
${o.tenants === false ? '' : `tenants:\n  t: { keys: [k], limits: { tpm: ${o.tpm} } }`}
`;

describe('reload is total, atomic and safe', () => {
  it('applies a new window, tenant limit and admin key; refuses restart-only changes and turning auth off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-reload-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile({ window: '60s', tpm: 100000, adminKey: 'old-admin' }));
    const run = await startAigw(['serve', '-c', file, '--mocks', '--log', 'json'], 3);
    const { gateway, admin } = run.urls as Record<string, string>;
    const stats = (key: string) => fetch(`${admin}/aigw/stats`, { headers: { authorization: `Bearer ${key}` } });
    const chat = () =>
      rawPost(
        `${gateway}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 },
        { headers: { authorization: 'Bearer k' } },
      );
    const reloads = () =>
      run
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"type":"reload"'))
        .map((l) => JSON.parse(l) as { ok: boolean; message: string });

    expect((await stats('old-admin')).status).toBe(200);
    expect((await chat()).status).toBe(200);

    // Written elsewhere and renamed over the profile (how editors save): read whole, after it settles.
    writeFileSync(join(dir, 'next.yaml'), profile({ window: '10s', tpm: 30, adminKey: 'new-admin' }));
    renameSync(join(dir, 'next.yaml'), file);
    await eventually(async () => (await stats('new-admin')).status === 200, 15_000);
    expect((await stats('old-admin')).status).toBe(401);
    const s = (await (await stats('new-admin')).json()) as { windowMs: number; tenants: { t: { tpm: { limit: number } } } };
    expect(s.windowMs).toBe(10_000);
    expect(s.tenants.t.tpm.limit).toBe(30);
    // The new limit is enforced: a 30-token budget admits a request or two, then refuses.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat()).status);
    expect(statuses).toContain(429);

    // Turning authentication off by reload is refused, and so is moving the listener; the old profile serves on.
    writeFileSync(file, profile({ window: '10s', tpm: 30, adminKey: 'new-admin', tenants: false }));
    await eventually(() => reloads().some((r) => !r.ok && r.message.includes('tenants')), 15_000);
    writeFileSync(file, profile({ window: '10s', tpm: 30, adminKey: 'new-admin', listen: '127.0.0.1:1' }));
    await eventually(() => reloads().some((r) => !r.ok && r.message.includes('listen')), 15_000);
    expect(run.stderr()).toMatch(/reload refused: tenants: a reload may not remove every tenant/);
    expect(run.stderr()).toMatch(/reload refused: listen: changing the gateway's address/);
    expect((await rawPost(`${gateway}/v1/chat/completions`, { model: 'm', messages: [] })).status).toBe(401);
    expect(await run.stop('SIGTERM')).toBe(0);
  }, 90_000);

  it('a key the reload removes stops working at once, though it authenticated (and was remembered) before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-reload-'));
    const file = join(dir, 'profile.yaml');
    const withKey = (key: string) => profile({ window: '60s', tpm: 100000, adminKey: 'admin' }).replace('keys: [k]', `keys: [${key}]`);
    writeFileSync(file, withKey('k-old'));
    const run = await startAigw(['serve', '-c', file, '--mocks'], 3);
    const { gateway } = run.urls as Record<string, string>;
    const chat = (key: string) =>
      rawPost(
        `${gateway}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 },
        { headers: { authorization: `Bearer ${key}` } },
      ).then((r) => r.status);
    expect([await chat('k-old'), await chat('k-old')]).toEqual([200, 200]);
    writeFileSync(file, withKey('k-new'));
    await eventually(async () => (await chat('k-new')) === 200, 15_000);
    expect(await chat('k-old')).toBe(401);
    expect(await run.stop('SIGTERM')).toBe(0);
  }, 60_000);

  it('refuses a file of 40,000 unknown names in a bounded message and serves on (it had killed the gateway)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-reload-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile({ window: '60s', tpm: 100000, adminKey: 'admin' }));
    const run = await startAigw(['serve', '-c', file, '--mocks', '--log', 'json'], 3);
    const { gateway } = run.urls as Record<string, string>;
    // 2,000 models and one with 40,000 unknown fallbacks: each problem listed every model, 600 MB of text.
    const models = Array.from({ length: 2000 }, (_, i) => `  m${i}: { targets: [{ backend: v }] }`).join('\n');
    const fallbacks = Array.from({ length: 40_000 }, (_, i) => `u${i}`).join(', ');
    writeFileSync(
      file,
      `version: 1\nlisten: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0, key: admin }\nbackends:\n  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }\nmodels:\n${models}\n  x: { targets: [{ backend: v }], fallbacks: [${fallbacks}] }\n`,
    );
    const refused = () =>
      run
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"type":"reload"'))
        .map((l) => JSON.parse(l) as { ok: boolean; message: string })
        .find((r) => !r.ok);
    await eventually(() => refused() !== undefined, 60_000);
    expect(refused()!.message.length).toBeLessThan(50_000);
    expect(refused()!.message).toMatch(/unknown model "u0".*and 1981 more/);
    expect(run.stderr()).toMatch(/39900 more errors not shown/);
    expect(run.stderr().length).toBeLessThan(200_000);
    expect((await fetch(`${gateway}/healthz`)).status).toBe(200);
    expect(await run.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
