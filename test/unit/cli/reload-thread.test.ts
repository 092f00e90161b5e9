/**
 * A reload's load on its own thread (cli/reload-thread.ts) answers what the load on the main thread answers: the same
 * problems, warnings and profile — frozen, with the values its `${VAR}`s filled in known as secrets (which a clone
 * alone would lose: a backend echoing the key would no longer be scrubbed).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import type { loadOffLoop as LoadOffLoop } from '../../../src/cli/reload-thread.js';
import { secretsOf } from '../../../src/profile/secrets.js';

// The built modules, as bin/aigw runs them: from its TypeScript source the load cannot start on a thread (Node 20 reads
// no TypeScript) and runs in place. Their secrets are read from the built module's side table, which the thread fills.
const dist = new URL('../../../dist/', import.meta.url).href;
const { loadOffLoop } = (await import(`${dist}cli/reload-thread.js`)) as { loadOffLoop: typeof LoadOffLoop };
const { secretsOf: secretsThere } = (await import(`${dist}profile/secrets.js`)) as { secretsOf: typeof secretsOf };

const dir = mkdtempSync(join(tmpdir(), 'aigw-reload-thread-'));
const fileOf = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
/** A path from the environment is a secret only through the loader's side table (a key is one by its field). */
const ENV = {
  UPSTREAM_KEY: 'sk-from-the-environment-1234',
  UPSTREAM_PATH: 'path-from-the-environment',
  // The manifests' tenants' keys.
  ACME_KEY: 'sk-acme-from-the-environment',
  GLOBEX_KEY: 'sk-globex-from-the-environment',
};

const cases: { name: string; file: string; mockAll?: boolean; refused?: boolean; skips?: boolean }[] = [
  {
    name: 'a profile with a key from the environment and a warning',
    file: fileOf(
      'env.yaml',
      `version: 1
backends:
  b: { url: "http://127.0.0.1:9/\${UPSTREAM_PATH}", apiKey: "\${UPSTREAM_KEY}" }
  spare: { url: "http://127.0.0.1:9" }
models:
  m: { targets: [{ backend: b }] }
`,
    ),
  },
  {
    name: 'a refused profile',
    file: fileOf('refused.yaml', 'version: 1\nbackends: {}\nmodels:\n  m: { targets: [{ backend: nowhere }] }\n'),
    refused: true,
  },
  { name: 'a file that is not there', file: join(dir, 'missing.yaml'), refused: true },
  { name: 'Envoy AI Gateway manifests, every backend mocked', file: 'fixtures/envoy/demo.yaml', mockAll: true },
  {
    // Its skipped objects were dropped by the thread: a reload listed none of them, where the start lists each.
    name: 'manifests with an object aigw does not read',
    file: fileOf(
      'with-deployment.yaml',
      `${readFileSync('fixtures/envoy/demo.yaml', 'utf8')}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: vllm }\n`,
    ),
    mockAll: true,
    skips: true,
  },
  { name: 'a profile of mocks', file: 'fixtures/profiles/mocks-port0.yaml' },
];

describe('a reload loaded on its own thread', () => {
  for (const c of cases)
    it(`answers as the main thread's load does: ${c.name}`, async () => {
      const opts = { mockAll: c.mockAll === true };
      const here = await loadProfileOrManifests(c.file, ENV, opts);
      const there = await loadOffLoop(c.file, ENV, opts);
      expect(here.ok).toBe(c.refused !== true);
      expect(here.skipped.length > 0).toBe(c.skips === true);
      if (!here.ok) return expect(there).toStrictEqual({ ok: false, problems: here.problems, skipped: here.skipped });
      expect(there).toStrictEqual({ ok: true, profile: here.profile, warnings: here.warnings, skipped: here.skipped });
      if (!there.ok) return;
      expect(Object.isFrozen(there.profile)).toBe(true);
      expect(Object.isFrozen(Object.values(there.profile.models)[0]!.targets[0])).toBe(true);
      expect(secretsThere(there.profile)).toEqual(secretsOf(here.profile));
    }, 30_000);

  it('remembers the values from the environment as secrets', async () => {
    const r = await loadOffLoop(cases[0]!.file, ENV, {});
    expect(r.ok && secretsThere(r.profile)).toContain(ENV.UPSTREAM_PATH);
  }, 30_000);
});
