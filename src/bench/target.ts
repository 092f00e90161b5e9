/**
 * Where the bench sends traffic. With `--target`, only there. With `-c PROFILE` and no target, the bench
 * starts the profile's gateway and mocks as a child process (`aigw serve --mocks`, so the measurement is
 * of a separate process) on free ports, and stops it at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument } from 'yaml';
import type { BenchTarget } from './context.js';

const AIGW = fileURLToPath(new URL('../../bin/aigw.js', import.meta.url));

/**
 * A copy of the profile with one more tenant, `aigw-bench`, without limits: every scenario but `ratelimit`
 * measures routing and relaying, not the profile's budgets (which a load test would exhaust in seconds).
 */
function withBenchTenant(profilePath: string): { file: string; key: string | undefined } {
  const doc = parseDocument(readFileSync(profilePath, 'utf8'));
  if (!doc.get('tenants')) return { file: profilePath, key: undefined };
  const key = `aigw-bench-${randomBytes(12).toString('hex')}`;
  doc.setIn(['tenants', 'aigw-bench'], doc.createNode({ keys: [key] }));
  const file = join(mkdtempSync(join(tmpdir(), 'aigw-bench-')), 'profile.yaml');
  writeFileSync(file, doc.toString());
  return { file, key };
}

/** Mocks on fixed ports run in their own process, so the gateway's CPU figures are the gateway's alone. */
async function startMocks(file: string, portZero: boolean): Promise<{ child: ChildProcess; mocks: Record<string, string> } | undefined> {
  if (portZero) return undefined;
  const child = spawn(process.execPath, [AIGW, 'mock-backends', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const backends = (parse(readFileSync(file, 'utf8')) as { backends?: Record<string, { mock?: unknown }> }).backends ?? {};
  const count = Object.values(backends).filter((b) => b?.mock).length;
  if (count === 0) return undefined;
  const mocks: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the mocks did not start: ${out}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`the mocks exited with ${code} (are their ports free?)`)));
    child.stdout!.on('data', (d) => {
      out += d;
      for (const m of out.matchAll(/^mock (\S+) \(\w+\) listening on (\S+)$/gm)) mocks[m[1]!] = m[2]!;
      if (Object.keys(mocks).length >= count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return { child, mocks };
}

export async function startProfile(
  profilePath: string,
): Promise<{ target: BenchTarget; benchKey: string | undefined; stop(): Promise<void> }> {
  const { file, key: benchKey } = withBenchTenant(profilePath);
  // A mock on port 0 can only be found by a gateway in the same process (serve --mocks).
  const portZero = /url:\s*["']?http:\/\/[^\s"']*:0\b/.test(readFileSync(file, 'utf8'));
  const separate = await startMocks(file, portZero);
  const child: ChildProcess = spawn(
    process.execPath,
    [AIGW, 'serve', '-c', file, ...(separate ? [] : ['--mocks']), '--log', 'off', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const target = await new Promise<BenchTarget>((resolve, reject) => {
    child.on('exit', () => separate?.child.kill('SIGKILL'));
    const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${err || out}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`the gateway exited with ${code}: ${err.trim()}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const gw = /^gateway listening on (\S+)$/m.exec(out)?.[1];
      const admin = /^admin listening on (\S+)$/m.exec(out)?.[1];
      if (gw && admin) {
        clearTimeout(timer);
        const mocks: Record<string, string> = { ...separate?.mocks };
        for (const m of out.matchAll(/^mock (\S+) \(\w+\) listening on (\S+)$/gm)) mocks[m[1]!] = m[2]!;
        resolve({ url: gw, admin, mocks, ...(child.pid ? { pid: child.pid } : {}) });
      }
    });
  });
  return {
    target,
    benchKey,
    stop: async () => {
      for (const c of [child, separate?.child]) {
        if (!c || c.exitCode !== null) continue;
        c.kill('SIGTERM');
        await new Promise((r) => c.once('exit', r));
      }
    },
  };
}
