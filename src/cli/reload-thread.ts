/**
 * A reload's load (bridge/load.ts) on a worker thread of its own, started for that reload and ended with it. The
 * YAML parser is slow on a large profile — 300,000 list items, inside the token budget, took seconds a read, and a
 * load reads the text three times — and on the serving thread every stream in flight stopped for as long. The first
 * load stays on the main thread: nothing is in flight yet.
 *
 * The profile comes back by structured clone (zod's output: plain data) and is frozen here; the values its `${VAR}`s
 * filled in (secrets.ts's side table, which no clone carries) come beside it and are remembered again.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Skipped } from '../bridge/envoy/import.js';
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

/**
 * What the thread posts: the load's result, with the profile's values from the environment beside it, and the objects
 * of manifests aigw does not read (`skipped`: the start lists them, and a reload's answer dropped them unsaid).
 */
type Answer =
  | { ok: true; profile: Profile; warnings: ProfileProblem[]; envValues: readonly string[]; skipped: Skipped[] }
  | { ok: false; problems: ProfileProblem[]; skipped: Skipped[] };

/** A reload's load: what loadProfileOrManifests answers of it. */
export type ReloadLoad = LoadResult & { skipped: Skipped[] };

/** The workerData key that makes this module, imported by a thread, that thread's work. */
const JOB = 'aigwReloadLoad';

/**
 * loadProfileOrManifests(config, env, opts), off the event loop: its problems, warnings and profile as that returns
 * them. Rejects when the thread fails (out of its heap, say): the caller refuses the reload as it refuses a throw.
 */
export function loadOffLoop(config: string, env: Env, opts: BridgeOptions): Promise<ReloadLoad> {
  // Run from the TypeScript sources (the tests' own process), Node 20 cannot start this module on a thread: the load
  // runs here. bin/aigw runs dist/, and the tests that reload through it (and reload-thread.test.ts) load off the loop.
  if (import.meta.url.endsWith('.ts')) return loadProfileOrManifests(config, env, opts);
  const job: Job = { config, env: { ...env }, opts: { ...opts } };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { [JOB]: job } });
    let answered = false;
    worker.once('message', (a: Answer) => {
      answered = true;
      // Its work is done: a handle something left open in it (a --require'd module's timer) does not keep it.
      void worker.terminate();
      resolve(a.ok ? { ok: true, profile: remembered(a.profile, a.envValues), warnings: a.warnings, skipped: a.skipped } : a);
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

/** The thread's side: one load, posted back. */
async function work(job: Job): Promise<void> {
  // Only the profile is answered: its values as written are not read.
  const r = await loadProfileOrManifests(job.config, job.env, { ...job.opts, raw: false });
  const answer: Answer = r.ok
    ? { ok: true, profile: r.profile, warnings: r.warnings, envValues: envValuesOf(r.profile), skipped: r.skipped }
    : { ok: false, problems: r.problems, skipped: r.skipped };
  parentPort!.postMessage(answer);
}

const job = isMainThread ? undefined : (workerData as Record<string, Job> | null)?.[JOB];
if (job) void work(job);
