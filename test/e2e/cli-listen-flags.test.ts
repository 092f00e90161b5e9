/**
 * A listen address given on the command line is checked as the profile's are, before anything starts: a bad one is
 * bad usage (exit 2, contract §1) said in words. `--listen 8080` was read as host "808" and port 8080 (bind:
 * EADDRNOTAVAIL 0.0.3.40), a port past 65535 or a name for one reached Node's RangeError, and each exited 1 — an
 * `--admin` one only after the gateway had started.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';

/** `aigw ARGS` to its exit, killed after `ms` (exit code null then). */
async function aigw(args: string[], ms = 15_000) {
  const cleanupAfter = cleanupScope();
  const child = spawn(process.execPath, [AIGW, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanupAfter(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, stdout, stderr };
}

const SERVE = ['serve', '-c', 'profiles/demo.yaml', '--log', 'off'];

describe('serve --listen / --admin', () => {
  const cases: [string, string[]][] = [
    ['a port alone', ['--listen', '8080']],
    ['a port past 65535', ['--listen', '127.0.0.1:70000']],
    ['a service name for a port', ['--listen', 'localhost:http']],
    ['an admin port past 65535', ['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:99999']],
    ['an admin address without a port', ['--listen', '127.0.0.1:0', '--admin', '127.0.0.1']],
  ];
  for (const [name, flags] of cases)
    it(`refuses ${name} as bad usage, before anything listens`, async () => {
      const r = await aigw([...SERVE, ...flags]);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^aigw: --(listen|admin) expects HOST:PORT/),
      });
      expect(r.stdout).not.toMatch(/listening on/);
    });

  // The profile's own check (admin.listen cannot share the gateway's address), for the addresses the flags make: the
  // gateway started and printed its ready line, then the admin listener's EADDRINUSE exited 1.
  it.each([
    ['--listen and --admin alike', ['--listen', '127.0.0.1:18931', '--admin', '127.0.0.1:18931']],
    ["--listen at the profile's admin address", ['--listen', '127.0.0.1:9901']],
    ["--admin at the profile's gateway address", ['--admin', '127.0.0.1:8080']],
  ])('refuses %s as bad usage, before anything listens', async (_, flags) => {
    const r = await aigw([...SERVE, ...flags]);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^aigw: the admin listener cannot share the gateway's address "127\.0\.0\.1:\d+"/),
    });
    expect(r.stdout).not.toMatch(/listening on/);
  });
});

describe('mock-backends --vllm NAME=PORT', () => {
  it('refuses a port past 65535 as bad usage', async () => {
    const r = await aigw(['mock-backends', '--vllm', 'a=70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--vllm expects NAME=PORT/);
  });

  it('refuses an empty --host as bad usage: it listened on every interface', async () => {
    for (const host of ['', ' ']) {
      const r = await aigw(['mock-backends', '--host', host, '--vllm', 'a=0'], 5_000);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^aigw: --host expects an address/),
      });
      expect(r.stdout).not.toMatch(/listening on/);
    }
  });
});
