/**
 * The profile the bench reads (always through `loadBenchProfile`, which goes through profile/) and the
 * copy of it the bench starts: its mocks in their own process and its gateway (`aigw serve`) in another,
 * all on free ports, so the measurement is of separate processes and never depends on a port being free.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../core/sha256.js';
import { loadProfileOrManifests } from '../bridge/load.js';
import type { ProfileProblem } from '../profile/problems.js';
import type { Profile } from '../profile/schema.js';
import { readYaml } from '../profile/yaml-source.js';
import { STOP_WITH_STDIN } from '../core/stop-with-stdin.js';
import type { BenchTarget } from './context.js';

const AIGW = fileURLToPath(new URL('../../bin/aigw.js', import.meta.url));

/** The bundled demo profile (shipped with the package), started when nothing else is given. */
export const DEMO_PROFILE = fileURLToPath(new URL('../../profiles/demo.yaml', import.meta.url));

export interface BenchProfile {
  /** The path as the user gave it (for messages). */
  file: string;
  /** The validated profile: weights, keys, limits, backends. */
  profile: Profile;
  /**
   * The profile as written, with `${VAR}` interpolated but before the schema's defaults and conversions:
   * the bench starts an edited copy of it.
   */
  document: Record<string, unknown>;
}

export type BenchProfileResult = { ok: true; value: BenchProfile } | { ok: false; problems: ProfileProblem[] };

/**
 * The one place the bench reads a profile. A loader that also accepts other formats (Envoy AI Gateway
 * manifests) replaces this function and returns the same shape.
 */
export async function loadBenchProfile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: { mockAll?: boolean } = {},
): Promise<BenchProfileResult> {
  // A profile, or Envoy AI Gateway manifests imported on the way (bridge/load.ts), optionally all mocked.
  const r = await loadProfileOrManifests(file, env, { mockAll: opts.mockAll === true });
  if (!r.ok) return r;
  if (r.text === undefined)
    return { ok: false, problems: [{ severity: 'error', file, line: 1, col: 1, path: '', message: 'cannot be loaded' }] };
  // The copy the bench writes keeps `${VAR}` references (the gateway it starts reads the same environment),
  // so no value from the environment — a backend's key — lands in a file.
  const byReference = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_t, name) => (typeof name === 'string' && env[name] ? `\${${name}}` : undefined),
  });
  return { ok: true, value: { file, profile: r.profile, document: readYaml(r.text, byReference).value as Record<string, unknown> } };
}

type Doc = Record<string, Record<string, Record<string, unknown>> | unknown>;

/**
 * The copy the bench starts: one more tenant without limits (`aigw-bench`, so only `ratelimit` meets the
 * profile's budgets), plain tenant keys replaced by their digests (no key in a file the bench writes),
 * and every mock backend at `mockUrls[name]`.
 */
export function benchCopy(bp: BenchProfile, mockUrls: Readonly<Record<string, string>>, benchKey: string): Doc {
  const doc = structuredClone(bp.document) as Doc;
  const backends = (doc.backends ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, url] of Object.entries(mockUrls)) if (backends[name]) backends[name] = { ...backends[name], url };
  const tenants = doc.tenants as Record<string, { keys?: unknown[] }> | undefined;
  if (tenants && Object.keys(tenants).length) {
    for (const t of Object.values(tenants)) {
      if (Array.isArray(t?.keys))
        t.keys = t.keys.map((k) =>
          typeof k === 'string' && !k.startsWith('sha256:') && !k.includes('${') ? `sha256:${sha256(k, 'hex')}` : k,
        );
    }
    let name = 'aigw-bench';
    for (let i = 2; tenants[name]; i++) name = `aigw-bench-${i}`;
    tenants[name] = { keys: [`sha256:${sha256(benchKey, 'hex')}`] };
  }
  return doc;
}

/** The mock backends of a profile moved to port 0 (each gets a free port) and nothing else. */
function mocksOnly(bp: BenchProfile): Doc | undefined {
  const doc = structuredClone(bp.document) as Doc;
  const backends = (doc.backends ?? {}) as Record<string, Record<string, unknown>>;
  let any = false;
  for (const [name, b] of Object.entries(bp.profile.backends)) {
    if (!b.mock || !backends[name]) continue;
    const u = new URL(b.url);
    u.port = '0';
    backends[name] = { ...backends[name], url: u.origin };
    any = true;
  }
  return any ? doc : undefined;
}

/** Every gateway and mock process the bench started that still runs (the target's, and the fleets'), and their profiles' directories. */
const started = new Set<ChildProcess>();
const dirs = new Set<string>();

/**
 * Stops what the bench started without waiting: SIGTERM to each process (each drains and exits on its own) and
 * the directories of their profiles removed. Runs on any exit of the bench, a second Ctrl-C's included.
 */
export function stopStartedNow(): void {
  for (const c of started) c.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/**
 * Starts `aigw ARGS` and resolves with its stdout once `ready(stdout)` holds. In a process group of its own: a
 * Ctrl-C at the terminal reaches the bench, which reports and then stops it — not the gateway or mocks it is
 * still measuring. Its stdin is a pipe from the bench that it stops on the end of (core/stop-with-stdin.ts): should
 * the bench die without its exit hook (SIGKILL, a closed terminal), the child does not outlive it.
 */
function startChild(args: string[], what: string, ready: (out: string) => boolean): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, [AIGW, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, [STOP_WITH_STDIN]: '1' },
  });
  if (!process.listeners('exit').includes(stopStartedNow)) process.on('exit', stopStartedNow);
  started.add(child);
  child.once('exit', () => started.delete(child));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within 20s: ${(err || out).trim()}`));
    }, 20_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${err.trim() || out.trim()}`));
    };
    child.once('exit', onExit);
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (!ready(out)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ child, out });
    });
  });
}

async function stopChild(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface StartedProfile {
  target: BenchTarget;
  /** The key of the bench's own tenant (no limits), when the profile has tenants. */
  benchKey: string | undefined;
  stop(): Promise<void>;
}

const readyLines = (out: string) => [...out.matchAll(/^mock (\S+) \([\w-]+\) listening on (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const);

/** Starts the profile's mocks (their own process) and gateway (`aigw serve`) on free ports. */
export async function startProfile(bp: BenchProfile): Promise<StartedProfile> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-'));
  dirs.add(dir);
  const write = (name: string, doc: Doc) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
    return file;
  };
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
  try {
    const mocks: Record<string, string> = {};
    const mockDoc = mocksOnly(bp);
    if (mockDoc) {
      const count = Object.values(bp.profile.backends).filter((b) => b.mock).length;
      const m = await startChild(['mock-backends', '-c', write('mocks.json', mockDoc)], 'the mocks', (o) => readyLines(o).length >= count);
      children.push(m.child);
      for (const [name, url] of readyLines(m.out)) mocks[name] = url;
    }
    const hasTenants = Object.keys(bp.profile.tenants ?? {}).length > 0;
    const benchKey = `aigw-bench-${randomBytes(12).toString('hex')}`;
    const file = write('profile.json', benchCopy(bp, mocks, benchKey));
    const admin = bp.profile.admin.enabled;
    const g = await startChild(
      ['serve', '-c', file, '--log', 'off', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'],
      'the gateway',
      (o) => /^gateway listening on /m.test(o) && (!admin || /^admin listening on /m.test(o)),
    );
    children.push(g.child);
    const url = /^gateway listening on (\S+)$/m.exec(g.out)![1]!;
    const adminUrl = /^admin listening on (\S+)$/m.exec(g.out)?.[1];
    const backends: Record<string, string> = {};
    for (const [name, b] of Object.entries(bp.profile.backends)) backends[name] = mocks[name] ?? b.url;
    const target: BenchTarget = {
      url,
      mocks,
      backends,
      ...(adminUrl ? { admin: adminUrl } : {}),
      ...(g.child.pid ? { pid: g.child.pid } : {}),
    };
    if (bp.profile.admin.key) target.adminKey = bp.profile.admin.key;
    return { target, benchKey: hasTenants ? benchKey : undefined, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
