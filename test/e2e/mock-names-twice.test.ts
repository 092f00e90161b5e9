/**
 * `aigw mock-backends` given one name twice (CLI review): `--vllm a=0 --vllm a=0`, or a flag naming a backend of the
 * profile, started two mocks of that name — two ready lines no script can tell apart (a reader keyed by name took
 * the later for both), each answering as that name (`x-mock-backend`, `system_fingerprint`), so `bench split` counted
 * two backends as one. Refused now as bad usage (exit 2) before anything listens.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';

/** The binary's exit, or its SIGTERM after 5 s (before the fix, the mocks served on: exit 0 then). */
async function run(args: string[]) {
  const child = spawn(process.execPath, [AIGW, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 5000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

describe('aigw mock-backends with one name twice', () => {
  for (const args of [
    ['--vllm', 'a=0', '--vllm', 'a=0'],
    ['--vllm', 'a=0', '--tei', 'a=0'],
    ['-c', 'fixtures/profiles/mocks-port0.yaml', '--vllm', 'tei-bge=0'],
  ]) {
    it(`exits 2 naming it, nothing listening: ${args.join(' ')}`, async () => {
      const r = await run(['mock-backends', ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).not.toContain('listening');
      expect(r.stderr).toMatch(
        /^aigw: mock "(a|tei-bge)" is named twice \(by the profile or --vllm\/--tei\): give each mock its own name$/m,
      );
    });
  }
});
