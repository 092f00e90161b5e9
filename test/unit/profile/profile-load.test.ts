import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseProfile } from '../../../src/profile/load.js';

const minimal = (extra = '') => `version: 1
backends:
  a: { url: http://127.0.0.1:8001 }
models:
  m: { targets: [{ backend: a }] }
${extra}`;

describe('profile loading', () => {
  it('fills every default of contract §2', () => {
    const r = parseProfile(minimal(), 'p.yaml', {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.profile;
    expect(p.listen).toBe('127.0.0.1:8080');
    expect(p.admin.listen).toBe('127.0.0.1:9901');
    expect(p.limits.maxRequestBytes).toBe(8 * 1024 * 1024);
    expect(p.limits.responseBuffer).toEqual({ mode: 'passthrough', maxBytes: 50 * 1024 * 1024, onOverflow: 'error' });
    expect(p.timeouts).toMatchObject({ connect: 5000, firstByte: 120_000, idle: 60_000 });
    expect(p.models.m!.targets[0]).toEqual({ backend: 'a', weight: 1 });
    expect(Object.isFrozen(p.models.m!.targets[0])).toBe(true);
  });

  it('takes listen addresses the CLI takes: a port past 65535 is refused (it validated, then serve exited 1)', () => {
    const at = (listen: string) => parseProfile(`${minimal()}\nlisten: "${listen}"\n`, 'p.yaml', {});
    expect(at('127.0.0.1:65535').ok).toBe(true);
    for (const bad of ['127.0.0.1:65536', '127.0.0.1:99999', '8080', 'localhost:http']) {
      const r = at(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.problems[0]!.message, bad).toMatch(/^expected HOST:PORT/);
    }
  });

  it("takes a target's upstream model name as long as a client's may be (256), not longer", () => {
    const named = (n: number) =>
      parseProfile(
        `version: 1\nbackends:\n  a: { url: http://127.0.0.1:8001 }\nmodels:\n  m: { targets: [{ backend: a, model: "${'x'.repeat(n)}" }] }\n`,
        'p.yaml',
        {},
      );
    expect(named(256).ok).toBe(true);
    const r = named(257);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(`${r.problems[0]!.path}: ${r.problems[0]!.message}`).toBe('models.m.targets[0].model: expected at most 256 characters');
  });

  it('interpolates ${VAR} and ${VAR:-default}, keeping numbers numbers', () => {
    const text = minimal(`tenants:
  t:
    keys: ["\${KEY}", "\${OTHER:-fallback}"]
    limits:
      tpm: \${TPM:-1000}`);
    const r = parseProfile(text, 'p.yaml', { KEY: 'sk-from-env' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.tenants!.t!.keys).toEqual(['sk-from-env', 'fallback']);
    expect(r.profile.tenants!.t!.limits!.tpm).toBe(1000);
    expect(r.warnings).toEqual([]);
  });

  it('reads sizes and durations in every documented unit', () => {
    const text = `version: 1
limits: { maxRequestBytes: 64Ki, responseBuffer: { mode: buffered, maxBytes: 10MB } }
timeouts: { connect: 150ms, firstByte: 2m, idle: 5s }
backends:
  a: { url: http://127.0.0.1:8001 }
models:
  m: { targets: [{ backend: a }] }`;
    const r = parseProfile(text, 'p.yaml', {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.limits.maxRequestBytes).toBe(65536);
    expect(r.profile.limits.responseBuffer.maxBytes).toBe(10_000_000);
    expect(r.profile.timeouts).toMatchObject({ connect: 150, firstByte: 120_000, idle: 5000 });
  });

  it.each(['profiles/demo.yaml', 'profiles/buffer-gotcha.yaml'])('ships a valid %s', (file) => {
    const r = parseProfile(readFileSync(file, 'utf8'), file, {});
    expect(r.ok).toBe(true);
  });

  it('the demo is the seed scenario: a 95/5 canary, a fallback, embeddings, two limited tenants', () => {
    const r = parseProfile(readFileSync('profiles/demo.yaml', 'utf8'), 'demo.yaml', {});
    if (!r.ok) throw new Error('demo profile invalid');
    const p = r.profile;
    expect(p.models['llama-3-70b']!.targets.map((t) => [t.backend, t.weight])).toEqual([
      ['vllm-llama-v1', 95],
      ['vllm-llama-v2', 5],
    ]);
    expect(p.backends['vllm-qwen']!.mock!.kind).toBe('vllm');
    expect(p.backends['tei-bge']!.mock!.kind).toBe('tei');
    expect(Object.values(p.tenants!).every((t) => (t.limits?.tpm ?? 0) > 0)).toBe(true);
    expect(Object.keys(p.tenants!)).toHaveLength(2);
  });

  it('the buffer gotcha reproduces Envoy: buffered, 1Mi, truncate', () => {
    const r = parseProfile(readFileSync('profiles/buffer-gotcha.yaml', 'utf8'), 'g.yaml', {});
    if (!r.ok) throw new Error('gotcha profile invalid');
    expect(r.profile.limits.responseBuffer).toEqual({ mode: 'buffered', maxBytes: 1024 * 1024, onOverflow: 'truncate' });
  });
});
