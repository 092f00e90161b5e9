import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/test-other-nodes.js', import.meta.url));

/** The script run with `args` and no network: a refusal must come before anything is fetched or run. */
function testNodes(...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], {
    encoding: 'utf8',
    timeout: 10_000,
    // Any fetch would fail at once rather than reach a registry.
    env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' },
  });
}

describe('npm run test:nodes', () => {
  const bad = ['22.x', 'v22', '24.1', 'latest', '22.23.5;rm', ''];
  for (const arg of bad) {
    it(`refuses ${JSON.stringify(arg)} as a version, exit 2, fetching nothing`, () => {
      const r = testNodes('24.22.3', arg);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`"${arg}" is not a Node version`);
      // Checked before the first (valid) version is fetched or run.
      expect(r.stdout).not.toContain('fetching');
      expect(r.stdout).not.toContain('the suite under');
    });
  }
});
