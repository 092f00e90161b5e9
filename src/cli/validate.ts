/** `aigw validate -c FILE`: every problem, one line each; exit 2 when any is an error. */
import { loadProfileFile } from '../profile/load.js';
import { formatProblem } from '../profile/problems.js';
import { exitCodes } from './run.js';

export async function run(opts: { config: string }): Promise<number> {
  const result = await loadProfileFile(opts.config);
  if (!result.ok) {
    for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
    const n = result.problems.length;
    process.stderr.write(`${opts.config}: ${n} error${n === 1 ? '' : 's'}\n`);
    return exitCodes.usage;
  }
  for (const w of result.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  const p = result.profile;
  process.stdout.write(
    `${opts.config}: ok — ${Object.keys(p.models).length} models, ${Object.keys(p.backends).length} backends, ` +
      `${Object.keys(p.tenants ?? {}).length} tenants${result.warnings.length ? `, ${result.warnings.length} warnings` : ''}\n`,
  );
  return exitCodes.ok;
}
