/**
 * `serve -c` and `bench -c` with Envoy AI Gateway manifests or `--mock-all`: the profile they should run,
 * written to a private temporary file (removed at exit) that the commands then load as any profile. The file
 * holds `${VAR}` references, never a secret's value. Until serve and bench load through
 * bridge/load.ts themselves, this is how they read manifests.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isManifestText } from '../bridge/envoy/manifests.js';
import { loadProfileOrManifests } from '../bridge/load.js';
import { formatProblem } from '../profile/problems.js';
import { CliError, exitCodes } from './run.js';
import { printSkipped } from './validate.js';

interface Bridged {
  config?: string;
  mockAll?: boolean;
  mocks?: boolean;
}

/** The options with `config` pointing at a runnable profile (and mocks on under --mock-all), or unchanged. */
export async function bridged<T extends Bridged>(opts: T): Promise<T> {
  if (!opts.config) {
    if (opts.mockAll) throw new CliError('--mock-all needs -c FILE (a profile or Envoy AI Gateway manifests)', exitCodes.usage);
    return opts;
  }
  let manifests: boolean;
  try {
    manifests = statSync(opts.config).isDirectory() || isManifestText(readFileSync(opts.config, 'utf8'));
  } catch {
    return opts; // the command reports the unreadable file itself
  }
  if (!opts.mockAll && !manifests) return opts;
  const r = await loadProfileOrManifests(opts.config, process.env, { mockAll: opts.mockAll === true });
  if (!r.ok || r.text === undefined) {
    for (const p of r.ok ? [] : r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    throw new CliError(`${opts.config}: cannot be loaded`, exitCodes.usage);
  }
  // At the place the user wrote them (the command prints the profile's own again, at the temporary file).
  for (const w of r.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  printSkipped(r.skipped);
  const dir = mkdtempSync(join(tmpdir(), 'aigw-profile-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'profile.yaml');
  writeFileSync(file, r.text, { mode: 0o600 });
  return { ...opts, config: file, mocks: opts.mocks === true || opts.mockAll === true };
}
