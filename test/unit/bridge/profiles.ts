/** Loading the repo's profiles for the bridge tests: typed and as written, with their environment defaults. */
import { readdirSync, readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { exportEnvoy, type ExportOptions, type ExportResult } from '../../../src/bridge/envoy/export.js';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import type { Profile } from '../../../src/profile/schema.js';

/** `profiles/*.yaml` and every fixture profile that loads (the error fixtures are meant not to). */
export const EXPORTABLE: string[] = [
  ...readdirSync('profiles')
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `profiles/${f}`),
  ...readdirSync('fixtures/profiles')
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `fixtures/profiles/${f}`),
  ...readdirSync('fixtures/profiles/warnings')
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `fixtures/profiles/warnings/${f}`),
];

export function loadFile(file: string, env: Record<string, string | undefined> = {}): { profile: Profile; raw: unknown } {
  const text = readFileSync(file, 'utf8');
  const r = parseProfile(text, file, env);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return { profile: r.profile, raw: parse(text) as unknown };
}

/** What `aigw export envoy` takes by default: namespace default, gateway aigw, no secrets. */
export const EXPORT_OPTS: ExportOptions = { namespace: 'default', gateway: 'aigw', includeSecrets: false };

/** The export of a profile written inline (typed, and its document as written, as the CLI reads both). */
export function exportProfile(yaml: string, env: Record<string, string | undefined> = {}, opts = EXPORT_OPTS): ExportResult {
  const r = parseProfile(yaml, 'test.yaml', env);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return exportEnvoy(r.profile, parseAllDocuments(yaml)[0]!.toJS(), opts);
}
