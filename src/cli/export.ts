/**
 * `aigw export envoy -c PROFILE [-o DIR|-] [--namespace NS] [--gateway NAME] [--include-secrets]`: the
 * manifests on stdout (or one file per kind in DIR), a warning on stderr for every feature that does not
 * carry over. Secrets are `${VAR}` placeholders unless --include-secrets, so their variables need not be set.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
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
    for (const d of docs) {
      const texts = byKind.get(d.kind);
      if (texts) texts.push(d.text);
      else byKind.set(d.kind, [d.text]);
    }
    // A file of a kind's name that no export wrote is the user's: `-o .` beside a profile named gateway.yaml replaced
    // the profile with the Gateway, and a hand-kept secret.yaml its real keys with placeholders. Refused before any
    // file is written.
    const dir = opts.output;
    const theirs = [...byKind.keys()]
      .map((kind) => `${kind.toLowerCase()}.yaml`)
      .filter((name) => lstatSync(join(dir, name), { throwIfNoEntry: false }) !== undefined && !isEarlierExport(join(dir, name)));
    if (theirs.length) {
      throw new CliError(
        `-o ${opts.output}: ${theirs.join(', ')} ${theirs.length === 1 ? 'is' : 'are'} not an earlier export's (no first line ` +
          'saying so): not overwritten — move them, or export into another directory',
        exitCodes.usage,
      );
    }
    const written = new Set<string>();
    for (const [kind, texts] of byKind) {
      const name = `${kind.toLowerCase()}.yaml`;
      const file = join(opts.output, name);
      writeWhole(file, `${EXPORT_MARK}\n${renderStream(texts)}`, opts.includeSecrets ? 0o600 : 0o644);
      written.add(name);
      process.stderr.write(`wrote ${file}\n`);
    }
    for (const name of earlierExports(opts.output, written)) {
      const file = join(opts.output, name);
      try {
        unlinkSync(file);
        process.stderr.write(`removed ${file}: an earlier export's, and this profile makes no such object\n`);
      } catch (e) {
        process.stderr.write(
          `warning: ${file} is an earlier export's and this profile makes no such object, but it cannot be removed (${reasonOf(e)}): kubectl apply -f ${opts.output} would apply it\n`,
        );
      }
    }
  }
  for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
  return exitCodes.ok;
}

/**
 * The first line of every file `-o DIR` writes. An export into a directory that an earlier one filled must leave no
 * file of that one's behind: `kubectl apply -f DIR` applies every file there, and a kind this profile no longer makes
 * (a BackendTLSPolicy, a tenant's Secret — with its real keys, after an earlier --include-secrets) would go on being
 * applied. Only files that begin with this line are removed: a file of the user's own in DIR is never touched.
 */
const EXPORT_MARK = '# Written by `aigw export envoy -o`: the next export into this directory replaces this file, or removes it.';

/** The files in `dir`, other than those just `written`, that an earlier export wrote (they begin with EXPORT_MARK). */
function earlierExports(dir: string, written: ReadonlySet<string>): string[] {
  const earlier: string[] = [];
  for (const name of readdirSync(dir)) {
    // Named as a kind's file is (export writes no other name).
    if (written.has(name) || !/^[a-z0-9]+\.yaml$/.test(name)) continue;
    if (isEarlierExport(join(dir, name))) earlier.push(name);
  }
  return earlier;
}

/** Whether `file` is a regular file (not a link) that begins with EXPORT_MARK: an earlier export's. */
function isEarlierExport(file: string): boolean {
  if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) return false;
  const mark = Buffer.from(EXPORT_MARK);
  const head = Buffer.alloc(mark.length);
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(mark);
  } catch {
    // Unreadable: not known to be an export's.
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
