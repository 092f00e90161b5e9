/**
 * `aigw export envoy -c PROFILE [-o DIR|-] [--namespace NS] [--gateway NAME] [--include-secrets]`: the
 * manifests on stdout (or one file per kind in DIR), a warning on stderr for every feature that does not
 * carry over. Secrets are `${VAR}` placeholders unless --include-secrets, so their variables need not be set.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { credentialVariables, withStandIns } from '../bridge/env.js';
import { exportEnvoy } from '../bridge/envoy/export.js';
import { dnsLabel } from '../bridge/envoy/names.js';
import { renderDocument, renderStream } from '../bridge/envoy/render-yaml.js';
import { loadProfileOrManifests } from '../bridge/load.js';
import { formatProblem } from '../profile/problems.js';
import { CliError, exitCodes, reasonOf } from './run.js';
import { writeWhole } from './write-whole.js';

interface Options {
  config: string;
  output?: string;
  namespace: string;
  gateway: string;
  includeSecrets?: boolean;
}

export async function run(opts: Options): Promise<number> {
  for (const [flag, v] of [
    ['--namespace', opts.namespace],
    ['--gateway', opts.gateway],
  ] as const) {
    if (dnsLabel(v) !== v) throw new CliError(`${flag} takes a DNS-1123 label (a-z, 0-9, -), got "${v}"`, exitCodes.usage);
  }
  let loaded = await loadProfileOrManifests(opts.config, process.env);
  if (!loaded.ok && !opts.includeSecrets && loaded.raw !== undefined) {
    // The Secrets are written as ${VAR}: their variables may be unset for an export.
    loaded = await loadProfileOrManifests(opts.config, withStandIns(process.env, credentialVariables(loaded.raw)));
  }
  if (!loaded.ok) {
    for (const p of loaded.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return exitCodes.usage;
  }
  const out = exportEnvoy(loaded.profile, loaded.raw, {
    namespace: opts.namespace,
    gateway: opts.gateway,
    includeSecrets: opts.includeSecrets === true,
  });
  const docs = out.objects.map((o) => ({ kind: o.value.kind as string, text: renderDocument(o.value, o.comments, o.header) }));
  if (!opts.output || opts.output === '-') {
    process.stdout.write(renderStream(docs.map((d) => d.text)));
  } else {
    try {
      mkdirSync(opts.output, { recursive: true });
    } catch (e) {
      throw new CliError(`-o takes a directory: cannot create ${opts.output}: ${reasonOf(e)}`, exitCodes.usage);
    }
    const byKind = new Map<string, string[]>();
    for (const d of docs) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d.text]);
    for (const [kind, texts] of byKind) {
      const file = join(opts.output, `${kind.toLowerCase()}.yaml`);
      writeWhole(file, renderStream(texts), opts.includeSecrets ? 0o600 : 0o644);
      process.stderr.write(`wrote ${file}\n`);
    }
  }
  for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
  return exitCodes.ok;
}
