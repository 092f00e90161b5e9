/**
 * `aigw validate -c FILE [--mock-all]`: every problem, one line each; exit 2 when any is an error. FILE is a
 * profile or Envoy AI Gateway manifests (imported first; what aigw does not read is listed as skipped).
 */
import type { Skipped } from '../bridge/envoy/import.js';
import { loadProfileOrManifests } from '../bridge/load.js';
import { formatProblem } from '../profile/problems.js';
import { MAX_PROBLEMS } from '../profile/load.js';
import { exitCodes } from './run.js';

export function printSkipped(skipped: readonly Skipped[]): void {
  // As many as problems are listed: a cluster's dump of thousands of Deployments and Services would bury the rest.
  for (const s of skipped.slice(0, MAX_PROBLEMS))
    process.stderr.write(`${s.pos.file}:${s.pos.line}:${s.pos.col}: skipped: ${s.kind}/${s.name}: ${s.reason}\n`);
  if (skipped.length > MAX_PROBLEMS) process.stderr.write(`and ${skipped.length - MAX_PROBLEMS} more objects skipped, not listed\n`);
}

export async function run(opts: { config: string; mockAll?: boolean }): Promise<number> {
  const result = await loadProfileOrManifests(opts.config, process.env, { mockAll: opts.mockAll === true });
  if (!result.ok) {
    for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
    const n = result.problems.length;
    process.stderr.write(`${opts.config}: ${n} error${n === 1 ? '' : 's'}\n`);
    return exitCodes.usage;
  }
  for (const w of result.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  printSkipped(result.skipped);
  const p = result.profile;
  process.stdout.write(
    `${opts.config}: ok — ${Object.keys(p.models).length} models, ${Object.keys(p.backends).length} backends, ` +
      `${Object.keys(p.tenants ?? {}).length} tenants${result.warnings.length ? `, ${result.warnings.length} warnings` : ''}` +
      `${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}\n`,
  );
  return exitCodes.ok;
}
