/**
 * What the importer shares: the manifests by kind and name, the profile being built (plain values, as a
 * profile file would hold them), where each profile key came from, every warning with its FILE:LINE:COL,
 * and which keys of each manifest were read — whatever was not is reported, never dropped silently.
 */
import { getOwn, setOwn } from '../../profile/own-keys.js';
import { escapeControls } from '../../core/printable.js';
import { formatPath, type KeyPath, type ProfileProblem } from '../../profile/problems.js';
import { DEFAULT_NAMESPACE, type Manifest, type SourcePos } from './manifests.js';

export type Raw = Record<string, unknown>;

/** A key no two different triples share, whatever characters a hostile manifest puts in its names. */
const nameKey = (kind: string, name: string, namespace: string): string => JSON.stringify([kind, namespace, name]);

export interface Skipped {
  kind: string;
  name: string;
  pos: SourcePos;
  reason: string;
}

export class ImportContext {
  readonly warnings: ProfileProblem[] = [];
  readonly errors: ProfileProblem[] = [];
  readonly skipped: Skipped[] = [];
  /** The manifests listed in `skipped`. */
  readonly skippedManifests = new Set<Manifest>();
  /** Profile key path (formatted) → the manifest position it came from. */
  readonly origin = new Map<string, SourcePos>();
  readonly profile: Raw = { version: 1 };
  private readonly used = new Map<Manifest, Set<string>>();
  /** Profile paths (formatted) whose `${VAR}` the import wrote itself (credentials, an unknown URL): read from the environment. */
  readonly variables = new Set<string>();
  /** Manifests the import read something from; the others are listed as skipped. */
  readonly touched = new Set<Manifest>();

  /**
   * The manifests by kind, and by kind, namespace and name (the first of each, as a scan would find it): every
   * backend and route looks others up, and a scan per lookup made an import of thousands of rules quadratic.
   */
  private readonly byKind = new Map<string, Manifest[]>();
  private readonly byName = new Map<string, Manifest>();

  constructor(readonly manifests: readonly Manifest[]) {
    for (const m of manifests) {
      const same = this.byKind.get(m.kind);
      if (same) same.push(m);
      else this.byKind.set(m.kind, [m]);
      const key = nameKey(m.kind, m.name, m.namespace);
      if (!this.byName.has(key)) this.byName.set(key, m);
    }
  }

  /** Manifests of one kind (any served apiVersion of its group), in the order given. */
  ofKind(kind: string): readonly Manifest[] {
    return this.byKind.get(kind) ?? [];
  }

  find(kind: string, name: string, namespace = DEFAULT_NAMESPACE): Manifest | undefined {
    return this.byName.get(nameKey(kind, name, namespace));
  }

  label(m: Manifest): string {
    return `${m.kind}/${m.namespace}/${m.name}`;
  }

  /** A warning about one key of a manifest. */
  warn(m: Manifest, path: KeyPath, message: string): void {
    this.warnings.push(this.problem('warning', m, path, message));
  }

  /** What the import cannot carry over without changing what the cluster enforces: no profile is written. */
  refuse(m: Manifest, path: KeyPath, message: string): void {
    this.errors.push(this.problem('error', m, path, message));
  }

  private problem(severity: 'warning' | 'error', m: Manifest, path: KeyPath, message: string): ProfileProblem {
    return { severity, ...m.at(path), path: `${this.label(m)}${path.length ? `.${formatPath(path)}` : ''}`, message };
  }

  /** Marks a key (and everything under it) as read. */
  use(m: Manifest, ...paths: KeyPath[]): void {
    this.touched.add(m);
    let set = this.used.get(m);
    if (!set) this.used.set(m, (set = new Set()));
    for (const p of paths) set.add(formatPath(p));
  }

  /** Sets a profile key and remembers which manifest key it came from. */
  set(path: KeyPath, value: unknown, from: { m: Manifest; path: KeyPath }): void {
    let node = this.profile;
    for (const k of path.slice(0, -1)) {
      const key = String(k);
      const next = getOwn(node, key);
      if (next && typeof next === 'object') node = next as Raw;
      else setOwn(node, key, (node = {}));
    }
    setOwn(node, String(path.at(-1)), value);
    this.origin.set(formatPath(path), from.m.at(from.path));
    this.use(from.m, from.path);
  }

  /** Sets a profile key to `${variable}`: the one kind of value the profile reads from the environment. */
  setVariable(path: KeyPath, variable: string, from: { m: Manifest; path: KeyPath }, index?: number): void {
    this.set(path, index === undefined ? `\${${variable}}` : [`\${${variable}}`], from);
    this.variables.add(formatPath(index === undefined ? path : [...path, index]));
  }

  skip(m: Manifest, reason: string): void {
    this.skippedManifests.add(m);
    // Printed as they are (validate's skipped lines): a name's control characters must not reach the terminal.
    this.skipped.push({
      kind: escapeControls(m.kind),
      name: escapeControls(`${m.namespace}/${m.name}`),
      pos: m.at([]),
      reason: escapeControls(reason),
    });
  }

  /**
   * Every key under `spec` of the given manifests that nothing read: one warning per topmost such key. `known`
   * lists the spec keys the CRD defines; another key is one the cluster itself prunes.
   */
  reportUnread(ms: readonly Manifest[], known?: Readonly<Record<string, readonly string[]>>): void {
    for (const m of ms) {
      const used = this.used.get(m) ?? new Set<string>();
      // Every proper ancestor of a used path, once: the walk asks "is anything under here used?" per key.
      const above = new Set<string>();
      for (const u of used) for (let q = parentOf(u); q && !above.has(q); q = parentOf(q)) above.add(q);
      const isUsed = (p: string) => {
        for (let q = p; q; q = parentOf(q)) if (used.has(q)) return true;
        return false;
      };
      const anyUnder = (p: string) => above.has(p);
      const walk = (v: unknown, path: KeyPath) => {
        const f = formatPath(path);
        if (isUsed(f)) return;
        if (path.length > 1 && !anyUnder(f)) {
          const keys = known ? getOwn(known, m.kind) : undefined;
          const pruned = path.length === 2 && keys !== undefined && !keys.includes(String(path[1]));
          this.warn(
            m,
            path,
            pruned
              ? `not a field of ${m.kind} in its CRD: the cluster prunes it (aigw ignores it too)`
              : 'not mapped: aigw has no equivalent, so the imported profile ignores it',
          );
          return;
        }
        if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i]);
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      };
      walk(m.value.spec, ['spec']);
    }
  }
}

function parentOf(p: string): string {
  const i = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
  return i <= 0 ? '' : p.slice(0, i);
}
