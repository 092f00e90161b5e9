/**
 * bridge/load.ts: `-c FILE` as a profile or as manifests (detected by apiVersion), `--mock-all` as a pure
 * transform, and every problem reported where the user wrote it — in the manifests, or in the profile as written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { MOCK_ALL_KEY, MOCK_ALL_URL, mockAll } from '../../../src/bridge/mock-all.js';
import { loadProfileFile, MAX_PROBLEMS } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { MAX_YAML_TOKENS, yamlTooLarge } from '../../../src/profile/yaml-budget.js';
import { BASE, docs } from './manifests.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bridge-load-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const PROFILE = `version: 1
backends:
  up:
    url: https://api.example.com
    apiKey: \${SURELY_UNSET_UPSTREAM_KEY}
  emb:
    url: http://127.0.0.1:8004
    mock: { kind: tei, dimensions: 384 }
models:
  m: { targets: [{ backend: up }] }
  e: { targets: [{ backend: emb }] }
`;

describe('--mock-all', () => {
  it('gives every backend a mock of its kind on port 0, keeps a mock that exists, drops credentials (a stand-in where the mock needs one)', () => {
    const raw = {
      version: 1,
      backends: {
        a: { url: 'https://x', apiKey: '${K}', headers: { 'x-h': '1' } },
        b: { url: 'https://y', kind: 'anthropic' },
        c: { url: 'http://127.0.0.1:1', mock: { kind: 'tei', dimensions: 8 } },
      },
    };
    expect(mockAll(raw)).toEqual({
      version: 1,
      backends: {
        a: { url: MOCK_ALL_URL, headers: { 'x-h': '1' }, mock: { kind: 'vllm' } },
        b: { url: MOCK_ALL_URL, kind: 'anthropic', apiKey: MOCK_ALL_KEY, mock: { kind: 'anthropic' } },
        c: { url: MOCK_ALL_URL, mock: { kind: 'tei', dimensions: 8 } },
      },
    });
    expect(raw.backends.a.apiKey).toBe('${K}'); // pure: the input is untouched
    expect(mockAll('not a profile')).toBe('not a profile');
  });

  it('runs a profile whose credentials are unset; without it, the missing variable is named at its line', async () => {
    const file = write('p.yaml', PROFILE);
    const plain = await loadProfileOrManifests(file, {});
    expect(plain.ok).toBe(false);
    expect(plain.ok ? '' : plain.problems.map(formatProblem).join('\n')).toBe(
      `${file}:5:13: error: backends.up.apiKey: environment variable SURELY_UNSET_UPSTREAM_KEY is not set ` +
        '(write ${SURELY_UNSET_UPSTREAM_KEY:-default} to give a default)',
    );
    const mocked = await loadProfileOrManifests(file, {}, { mockAll: true });
    expect(mocked.ok).toBe(true);
    if (!mocked.ok) return;
    expect(mocked.profile.backends.up).toMatchObject({ url: MOCK_ALL_URL, mock: { kind: 'vllm' } });
    expect(mocked.profile.backends.up!.apiKey).toBeUndefined();
    expect(mocked.profile.backends.emb!.mock).toMatchObject({ kind: 'tei', dimensions: 384 });
    expect(mocked.text).not.toContain('apiKey');
  });

  it('reports a problem of the transformed profile at the line the user wrote', async () => {
    const file = write('bad.yaml', PROFILE.replace('m: { targets: [{ backend: up }] }', 'm: { targets: [{ backend: nope }] }'));
    const r = await loadProfileOrManifests(file, {}, { mockAll: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.file, p.line, p.path])).toEqual([[file, 10, 'models.m.targets[0].backend']]);
  });
});

const MANIFESTS = `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: gw }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches: [{ headers: [{ name: x-ai-eg-model, value: m }] }]
      backendRefs: [{ name: a }]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: { name: a }
spec: { schema: { name: OpenAI }, backendRef: { name: a, kind: Backend, group: gateway.envoyproxy.io } }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: { name: a-key }
spec:
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: a }]
  type: APIKey
  apiKey: { secretRef: { name: a-key } }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: a }
spec: { endpoints: [{ fqdn: { hostname: a.example, port: 443 } }] }
`;

describe('manifests', () => {
  it('are detected by apiVersion and imported; a problem of the imported profile points into the manifests', async () => {
    const file = write('m.yaml', MANIFESTS);
    const r = await loadProfileOrManifests(file, {});
    expect(r.source).toBe('manifests');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // The key's variable is unset: reported at the BackendSecurityPolicy's apiKey, where the key comes from.
    expect(r.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.path}`)).toEqual([`${file}:21:11 backends.a.apiKey`]);
    expect(r.problems[0]!.message).toMatch(/A_KEY is not set/);
  });

  it("list at most 100 warnings, then one that counts the rest, as a profile's", async () => {
    // 300 routes to AIServiceBackends that are not among the files: two warnings each.
    const routes = Array.from(
      { length: 300 },
      (_, i) => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r${i}}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m${i}}]}]
      backendRefs: [{name: nope${i}}]`,
    );
    const r = await loadProfileOrManifests(write('many-warnings.yaml', docs(BASE, ...routes)), {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toHaveLength(MAX_PROBLEMS + 1);
    expect(r.warnings.at(-1)!.message).toMatch(/^\d+ more warnings not shown/);
    expect(Number(/^(\d+)/.exec(r.warnings.at(-1)!.message)![1])).toBeGreaterThanOrEqual(500);
  });

  it('load with the variable set, or with --mock-all (no credential needed)', async () => {
    const file = write('m2.yaml', MANIFESTS);
    const withKey = await loadProfileOrManifests(file, { A_KEY: 'sk-a' });
    expect(withKey.ok && withKey.profile.backends.a).toMatchObject({ url: 'http://a.example:443', apiKey: 'sk-a' });
    const mocked = await loadProfileOrManifests(file, {}, { mockAll: true });
    expect(mocked.ok && mocked.profile.backends.a).toMatchObject({ url: MOCK_ALL_URL, mock: { kind: 'vllm' } });
  });

  it("in UTF-16 with a byte-order mark (PowerShell's `>`), little- or big-endian, read as in UTF-8", async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MANIFESTS, 'utf16le')]);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(MANIFESTS, 'utf16le').swap16()]);
    for (const [name, bytes] of [
      ['le.yaml', le],
      ['be.yaml', be],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await loadProfileOrManifests(file, { A_KEY: 'sk-a' });
      expect(r.source).toBe('manifests');
      expect(r.ok && r.profile.backends.a).toMatchObject({ url: 'http://a.example:443', apiKey: 'sk-a' });
    }
    const profile = join(dir, 'profile-le.yaml');
    writeFileSync(profile, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PROFILE, 'utf16le')]));
    const r = await loadProfileOrManifests(profile, { SURELY_UNSET_UPSTREAM_KEY: 'sk' });
    expect(r.ok && Object.keys(r.profile.models)).toEqual(['m', 'e']);
    // A mark alone, or an odd last byte: a clear problem or the text before it, never a throw.
    for (const [name, bytes] of [
      ['bom-only.yaml', Buffer.from([0xff, 0xfe])],
      ['odd-be.yaml', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(PROFILE, 'utf16le').swap16(), Buffer.from([0x41])])],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const loaded = await loadProfileOrManifests(file, { SURELY_UNSET_UPSTREAM_KEY: 'sk' });
      if (name === 'bom-only.yaml') expect(loaded.ok).toBe(false);
      else expect(loaded.ok && Object.keys(loaded.profile.models)).toEqual(['m', 'e']);
    }
  });

  it('a directory stands for its YAML files; an unreadable path is one clear problem', async () => {
    const sub = mkdtempSync(join(dir, 'folder-'));
    writeFileSync(join(sub, 'a.yaml'), MANIFESTS);
    writeFileSync(join(sub, 'notes.txt'), 'not yaml');
    const r = await loadProfileOrManifests(sub, { A_KEY: 'k' });
    expect(r.ok).toBe(true);
    const missing = await loadProfileOrManifests(join(dir, 'nope.yaml'), {});
    expect(missing.ok ? [] : missing.problems.map((p) => p.message)).toEqual(['cannot read the profile: no such file']);
  });

  // A reload reads whatever the path is by then: a FIFO put there held the reload (and every one after it) waiting
  // for a writer, /dev/zero grew a string without end. Both are one clear problem, at once.
  it('refuses a profile path that is not a regular file (a FIFO, a device) at once', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const link = join(dir, 'zero.yaml');
    symlinkSync('/dev/zero', link);
    for (const path of [fifo, link]) {
      const r = await loadProfileOrManifests(path, {});
      expect(r.ok ? [] : r.problems.map((p) => p.message), path).toEqual(['cannot read the profile: not a regular file']);
    }
  });
});

describe('a load larger than the YAML budget', () => {
  // Each `1,` of a flow list is two tokens: the parser kept hundreds of bytes for each (4 MB: 2.7 GB, 37 s).
  const flowList = (n: number) => `version: 1\nmodels: [${'1,'.repeat(n)}1]\n`;
  const manifests = (n: number) => '---\napiVersion: v1\nkind: X\n'.repeat(n);

  it('is refused before it is parsed, with what to do, a profile and manifests alike', async () => {
    for (const text of [flowList(MAX_YAML_TOKENS / 2), manifests(MAX_YAML_TOKENS / 10)]) {
      const r = await loadProfileOrManifests(write('big.yaml', text), {});
      expect(r.ok).toBe(false);
      expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([`cannot read the profile: ${yamlTooLarge()}`]);
    }
  });

  it('counts every file of a directory together, and lets a file under it through to its own problems', async () => {
    const d = mkdtempSync(join(dir, 'split-'));
    writeFileSync(join(d, 'a.yaml'), manifests(MAX_YAML_TOKENS / 20 - 100));
    const under = await loadProfileOrManifests(d, {});
    expect(under.ok ? [] : under.problems.map((p) => p.message)).not.toContain(`cannot read the profile: ${yamlTooLarge()}`);
    writeFileSync(join(d, 'b.yaml'), manifests(MAX_YAML_TOKENS / 20));
    const over = await loadProfileOrManifests(d, {});
    expect(over.ok ? [] : over.problems.map((p) => p.message)).toEqual([`cannot read the profile: ${yamlTooLarge()}`]);
  });

  it('counts a double-quoted value a token for every 16 characters (the library reads it a character at a time)', async () => {
    // One token each; as a double-quoted value, 16 MiB held ~530 MB of heap while it was read (attacker review).
    const quoted = (chars: number) => `version: 1\nlisten: "${'x'.repeat(chars)}"\n`;
    const over = await loadProfileOrManifests(write('dq-big.yaml', quoted(16 << 20)), {});
    expect(over.ok ? [] : over.problems.map((p) => p.message)).toEqual([`cannot read the profile: ${yamlTooLarge()}`]);
    const under = await loadProfileOrManifests(write('dq-small.yaml', quoted(1 << 20)), {});
    expect(under.ok ? [] : under.problems.map((p) => p.message)).not.toContain(`cannot read the profile: ${yamlTooLarge()}`);
    // Single-quoted and plain values are read a line at a time: one token, however long.
    const single = await loadProfileOrManifests(write('sq-big.yaml', `version: 1\nlisten: '${'x'.repeat(16 << 20)}'\n`), {});
    expect(single.ok ? [] : single.problems.map((p) => p.message)).not.toContain(`cannot read the profile: ${yamlTooLarge()}`);
  });

  it('is refused by mock-backends’ loader too', async () => {
    const r = await loadProfileFile(write('big-mock.yaml', flowList(MAX_YAML_TOKENS / 2)), {});
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([`cannot read the profile: ${yamlTooLarge()}`]);
  });
});

describe('raw: false (a reload needs only the profile)', () => {
  it('answers the same profile, warnings and problems without the values as written (one parse of the text less)', async () => {
    const env = { SURELY_UNSET_UPSTREAM_KEY: 'sk-set' };
    for (const [text, mockAll] of [
      [PROFILE, false],
      [PROFILE, true],
      ['version: 1\nbackends: {}\nmodels:\n  m: { targets: [{ backend: nowhere }] }\n', false],
    ] as const) {
      const file = write('raw-false.yaml', text);
      const { raw, ...whole } = await loadProfileOrManifests(file, env, { mockAll });
      const { raw: notRead, ...lean } = await loadProfileOrManifests(file, env, { mockAll, raw: false });
      expect(lean).toStrictEqual(whole);
      expect(raw).toBeDefined();
      // --mock-all is made from the values as written: it reads them whatever is asked.
      expect(notRead === undefined).toBe(!mockAll);
    }
  });
});
