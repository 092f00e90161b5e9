/**
 * A reload's load (bridge/load.ts) on a worker thread of its own, started for that reload and ended with it. The
 * YAML parser is slow on a large profile — 300,000 list items, inside the token budget, took seconds a read, and a
 * load reads the text three times — and on the serving thread every stream in flight stopped for as long. The first
 * load stays on the main thread: nothing is in flight yet.
 *
 * The profile comes back by structured clone (zod's output: plain data) and is frozen here; the values its `${VAR}`s
 * filled in (secrets.ts's side table, which no clone carries) come beside it and are remembered again.
 */
import { createRequire } from 'node:module';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type BridgeOptions, loadProfileOrManifests } from '../bridge/load.js';
import { deepFreeze } from '../core/freeze.js';
import type { LoadResult } from '../profile/load.js';
import type { ProfileProblem } from '../profile/problems.js';
import type { Profile } from '../profile/schema.js';
import { envValuesOf, rememberEnvValues } from '../profile/secrets.js';

type Env = Readonly<Record<string, string | undefined>>;

interface Job {
  config: string;
  env: Env;
  opts: BridgeOptions;
}

/** What the thread posts: the load's result, with the profile's values from the environment beside it. */
type Answer =
  | { ok: true; profile: Profile; warnings: ProfileProblem[]; envValues: readonly string[] }
  | { ok: false; problems: ProfileProblem[] };

/** The workerData key that makes this module, imported by a thread, that thread's work. */
const JOB = 'aigwReloadLoad';

/**
 * loadProfileOrManifests(config, env, opts), off the event loop: its problems, warnings and profile as that returns
 * them. Rejects when the thread fails (out of its heap, say): the caller refuses the reload as it refuses a throw.
 */
export function loadOffLoop(config: string, env: Env, opts: BridgeOptions): Promise<LoadResult> {
  const job: Job = { config, env: { ...env }, opts: { ...opts } };
  return new Promise((resolve, reject) => {
    const worker = spawn({ [JOB]: job });
    let answered = false;
    worker.once('message', (a: Answer) => {
      answered = true;
      // Its work is done: a handle something left open in it (a --require'd module's timer) does not keep it.
      void worker.terminate();
      resolve(a.ok ? { ok: true, profile: remembered(a.profile, a.envValues), warnings: a.warnings } : a);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the profile's loading thread stopped (exit code ${code}) before it answered`));
    });
  });
}

function remembered(profile: Profile, envValues: readonly string[]): Profile {
  const frozen = deepFreeze(profile);
  rememberEnvValues(frozen, envValues);
  return frozen;
}

/**
 * This module on a new thread. Built (dist/, what bin/aigw runs) it is JavaScript; run from its TypeScript source
 * (the tests), Node 20 cannot read it, so the thread first registers hooks that compile each source it imports.
 */
function spawn(data: Record<string, Job>): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL(self), { workerData: data });
  const hooks = `data:text/javascript,${encodeURIComponent(tsHooks(self))}`;
  const boot = `require('node:module').register(${JSON.stringify(hooks)}); import(${JSON.stringify(self)});`;
  return new Worker(boot, { eval: true, workerData: data });
}

/**
 * Loader hooks that read our `.ts` sources (a `./x.js` import names `./x.ts`) with TypeScript's transpiler. Its output
 * is kept by the source's hash in the temporary directory: each file took ~100 ms, seconds a thread.
 */
function tsHooks(parent: string): string {
  const typescript = createRequire(parent).resolve('typescript');
  return `
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const cache = join(tmpdir(), 'aigw-ts-threads');
let ts;
export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const text = readFileSync(fileURLToPath(url), 'utf8');
  const kept = join(cache, createHash('sha256').update(url).update(text).digest('hex') + '.js');
  if (existsSync(kept)) return { format: 'module', source: readFileSync(kept, 'utf8'), shortCircuit: true };
  ts ??= createRequire(${JSON.stringify(parent)})(${JSON.stringify(typescript)});
  const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
  const source = ts.transpileModule(text, { compilerOptions, fileName: fileURLToPath(url) }).outputText;
  mkdirSync(cache, { recursive: true });
  writeFileSync(kept + '.' + process.pid, source);
  renameSync(kept + '.' + process.pid, kept);
  return { format: 'module', source, shortCircuit: true };
}`;
}

/** The thread's side: one load, posted back. */
async function work(job: Job): Promise<void> {
  // Only the profile is answered: its values as written are not read.
  const r = await loadProfileOrManifests(job.config, job.env, { ...job.opts, raw: false });
  const answer: Answer = r.ok
    ? { ok: true, profile: r.profile, warnings: r.warnings, envValues: envValuesOf(r.profile) }
    : { ok: false, problems: r.problems };
  parentPort!.postMessage(answer);
}

const job = isMainThread ? undefined : (workerData as Record<string, Job> | null)?.[JOB];
if (job) void work(job);
