/**
 * A reload says what the profile it applies warns of, as the start does. The warnings of a reloaded profile were read
 * and dropped: one that took `admin.key` off an admin listener reachable from other machines (anyone there can read
 * and reset stats and metrics), pointed `auth.jwt.jwks` at plain http on another host (anyone on the way can sign
 * tokens for any tenant), or routed nothing to a backend, was applied without a word — where the same profile at start
 * printed each warning (profile review).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';

const profile = (extraBackend: string) => `version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
${extraBackend}models:
  m: { targets: [{ backend: v }] }
`;

describe('serve reloading a profile with warnings', () => {
  it('prints them on stderr, as at start', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aigw-reload-warnings-')), 'profile.yaml');
    writeFileSync(file, profile(''));
    const run = await startAigw(
      ['serve', '-c', file, '--mocks', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'pretty'],
      3,
    );
    expect(run.stderr()).not.toMatch(/warning/);
    writeFileSync(file, profile('  spare: { url: "http://127.0.0.1:9" }\n'));
    run.child.kill('SIGHUP');
    await eventually(() => /reload ok/.test(run.stdout()), 30_000);
    await eventually(() => /warning: backends\.spare: no model routes to this backend/.test(run.stderr()), 5_000);
    expect(await run.stop()).toBe(0);
  }, 60_000);
});
