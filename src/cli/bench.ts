/**
 * `aigw bench`: load-tests a gateway (aigw or any OpenAI-compatible one) and proves what it does with long
 * answers, canary splits and token limits; `--assert` turns figures into a CI verdict (exit 1 on a failure),
 * `--compare a.json b.json` shows what changed between two runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDuration } from '../core/units.js';
import type { BenchContext, BenchTarget } from '../bench/context.js';
import type { ProgressFeed } from '../bench/progress-view.js';
import { compare, type BenchReport } from '../bench/report.js';
import { defaultScenarios, runBench } from '../bench/run.js';
import { startProfile } from '../bench/target.js';
import { loadProfileFile } from '../profile/load.js';
import { formatProblem } from '../profile/problems.js';
import type { Profile } from '../profile/schema.js';
import { CliError, exitCodes } from './run.js';

interface Options {
  model?: string;
  target?: string;
  config?: string;
  scenario?: string[];
  duration: string;
  connections: string;
  apiKey?: string;
  assert?: string[];
  json?: string;
  expect?: string;
  compare?: string[];
}

function parseExpect(s: string | undefined): Record<string, number> | undefined {
  if (!s) return undefined;
  const out: Record<string, number> = {};
  for (const part of s.split(',')) {
    const [k, v] = part.split('=');
    if (!k || !v || !(Number(v) >= 0)) throw new CliError(`--expect takes name=weight pairs, e.g. a=95,b=5; got "${s}"`, exitCodes.usage);
    out[k.trim()] = Number(v);
  }
  return out;
}

/** The plain key of a tenant allowed to use the model (with a TPM limit, when `limited`). */
function keyFromProfile(p: Profile | undefined, model: string, limited: boolean): string | undefined {
  for (const t of Object.values(p?.tenants ?? {})) {
    if ((t.models && !t.models.includes(model)) || (limited && !t.limits?.tpm)) continue;
    const k = t.keys.find((x) => !x.startsWith('sha256:'));
    if (k) return k;
  }
  return undefined;
}

export async function run(opts: Options): Promise<number> {
  if (opts.compare?.length) {
    if (opts.compare.length !== 2)
      throw new CliError('--compare takes two report files: --compare a.json --compare b.json', exitCodes.usage);
    const [a, b] = opts.compare.map((f) => JSON.parse(readFileSync(f, 'utf8')) as BenchReport) as [BenchReport, BenchReport];
    const c = compare(a, b);
    process.stdout.write(`${c.lines.join('\n')}\n`);
    return c.regressions ? exitCodes.failure : exitCodes.ok;
  }
  if (!opts.model) throw new CliError('--model NAME is required (the public model to request)', exitCodes.usage);
  const durationMs = parseDuration(opts.duration);
  if (durationMs === undefined || durationMs <= 0)
    throw new CliError(`--duration takes a duration such as 10s, got "${opts.duration}"`, exitCodes.usage);
  const connections = Number(opts.connections);
  if (!Number.isInteger(connections) || connections < 1)
    throw new CliError(`--connections takes a positive integer, got "${opts.connections}"`, exitCodes.usage);
  if (!opts.target && !opts.config)
    throw new CliError('give --target URL (any OpenAI-compatible gateway) or -c PROFILE (the bench starts it)', exitCodes.usage);

  let profile: Profile | undefined;
  if (opts.config) {
    const r = await loadProfileFile(opts.config);
    if (!r.ok) {
      for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
      return exitCodes.usage;
    }
    profile = r.profile;
  }
  if (profile && !profile.models[opts.model!])
    throw new CliError(`the profile has no model "${opts.model}" (it has ${Object.keys(profile.models).join(', ')})`, exitCodes.usage);

  let stop: (() => Promise<void>) | undefined;
  let target: BenchTarget;
  let benchKey: string | undefined;
  if (opts.target) {
    const mocks: Record<string, string> = {};
    for (const [name, b] of Object.entries(profile?.backends ?? {})) if (b.mock) mocks[name] = b.url;
    target = { url: opts.target.replace(/\/+$/, '').replace(/\/v1$/, ''), mocks };
  } else {
    const started = await startProfile(opts.config!);
    target = started.target;
    benchKey = started.benchKey;
    stop = started.stop;
    process.stderr.write(`bench: started ${opts.config}: gateway ${target.url}, admin ${target.admin}\n`);
  }
  const isTty = process.stderr.isTTY === true;
  const t0 = Date.now();
  const feed: ProgressFeed = { scenarios: [], current: '', done: 0, line: 'starting', startedAt: t0 };
  const ctx: BenchContext = {
    target,
    model: opts.model!,
    apiKey: opts.apiKey ?? benchKey ?? keyFromProfile(profile, opts.model!, false),
    limitedKey: keyFromProfile(profile, opts.model!, true),
    profile,
    durationMs,
    connections,
    expect: parseExpect(opts.expect),
    progress: (line) => {
      feed.line = line;
      if (!isTty) process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
    },
  };
  try {
    const names = opts.scenario?.length ? opts.scenario : defaultScenarios(ctx);
    feed.scenarios = names;
    const hide = isTty ? (await import('../bench/progress-view.js')).showProgress(() => feed) : undefined;
    let report: Awaited<ReturnType<typeof runBench>>;
    try {
      report = await runBench(ctx, names, opts.assert ?? [], (name, i) => {
        feed.current = name;
        feed.done = i;
      });
      feed.done = names.length;
    } finally {
      hide?.();
    }
    process.stdout.write(`\naigw bench — ${ctx.model} at ${target.url} (${names.join(', ')})\n`);
    for (const s of Object.values(report.scenarios)) process.stdout.write(`${s.lines.join('\n')}\n`);
    if (report.assertions.length) process.stdout.write(`\n${report.assertions.map((v) => v.message).join('\n')}\n`);
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    return report.assertions.every((v) => v.ok) ? exitCodes.ok : exitCodes.failure;
  } finally {
    await stop?.();
  }
}
