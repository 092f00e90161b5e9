/**
 * `aigw import envoy FILE… [-o PROFILE] [--mock-all]`: Envoy AI Gateway manifests → an aigw profile (stdout
 * or -o), checked as `validate` would; warnings and skipped objects on stderr, with FILE:LINE:COL.
 */
import { unsetVariables, withStandIns } from '../bridge/env.js';
import { loadProfileOrManifests, summary } from '../bridge/load.js';
import { formatProblem } from '../profile/problems.js';
import { exitCodes } from './run.js';
import { writeWhole } from './write-whole.js';
import { printSkipped } from './validate.js';

interface Options {
  files: string[];
  output?: string;
  mockAll?: boolean;
}

export async function run(opts: Options): Promise<number> {
  const files = opts.files;
  const first = await loadProfileOrManifests(files, process.env, { mockAll: opts.mockAll === true });
  // The profile keeps ${VAR} for credentials (and unknown URLs): check it with stand-ins for the unset ones.
  const needs = first.text ? unsetVariables(first.text, process.env) : [];
  const r = needs.length
    ? await loadProfileOrManifests(files, withStandIns(process.env, needs), { mockAll: opts.mockAll === true })
    : first;
  if (r.source !== 'manifests' && !r.ok && r.text === undefined) {
    // Nothing was read (no such file, no YAML in the directory): that, not what it would have been.
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return exitCodes.usage;
  }
  if (r.source !== 'manifests') {
    process.stderr.write(
      `aigw: ${files.join(', ')}: not Envoy AI Gateway manifests (no apiVersion and kind); it reads as an aigw profile\n`,
    );
    return exitCodes.usage;
  }
  if (!r.ok) {
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return exitCodes.usage;
  }
  for (const w of r.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  printSkipped(r.skipped);
  if (opts.output && opts.output !== '-') {
    // Whole or not at all: the path is often the profile a gateway serves (and watches), and a write that failed part
    // way left it cut.
    writeWhole(opts.output, r.text!, 0o666);
    process.stderr.write(`wrote ${opts.output}: ${summary(r)}\n`);
  } else {
    process.stdout.write(r.text!);
  }
  if (needs.length) process.stderr.write(`the profile reads these environment variables, unset here: ${needs.join(', ')}\n`);
  return exitCodes.ok;
}
