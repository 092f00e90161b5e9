/**
 * What the importer shares: the manifests by kind and name, the profile being built (plain values, as a
 * profile file would hold them), where each profile key came from, every warning with its FILE:LINE:COL,
 * and which keys of each manifest were read — whatever was not is reported, never dropped silently.
 */
import { formatPath, type KeyPath, type ProfileProblem } from '../../profile/problems.js';
import { DEFAULT_NAMESPACE, type Manifest, type SourcePos } from './manifests.js';

export type Raw = Record<string, unknown>;

export interface Skipped {
  kind: string;
  name: string;
  pos: SourcePos;
  reason: string;
}

export class ImportContext {
  readonly warnings: ProfileProblem[] = [];
  readonly skipped: Skipped[] = [];
  /** Profile key path (formatted) → the manifest position it came from. */
  readonly origin = new Map<string, SourcePos>();
  readonly profile: Raw = { version: 1 };
  private readonly used = new Map<Manifest, Set<string>>();
  /** Manifests the import read something from; the others are listed as skipped. */
  readonly touched = new Set<Manifest>();

  constructor(readonly manifests: readonly Manifest[]) {}

  /** Manifests of one kind (any served apiVersion of its group). */
  ofKind(kind: string): Manifest[] {
    return this.manifests.filter((m) => m.kind === kind);
  }

  find(kind: string, name: string, namespace = DEFAULT_NAMESPACE): Manifest | undefined {
    return this.manifests.find((m) => m.kind === kind && m.name === name && m.namespace === namespace);
  }

  label(m: Manifest): string {
    return `${m.kind}/${m.namespace}/${m.name}`;
  }

  /** A warning about one key of a manifest. */
  warn(m: Manifest, path: KeyPath, message: string): void {
    const pos = m.at(path);
    this.warnings.push({ severity: 'warning', ...pos, path: `${this.label(m)}${path.length ? `.${formatPath(path)}` : ''}`, message });
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
      if (!node[key] || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Raw;
    }
    node[String(path.at(-1))] = value;
    this.origin.set(formatPath(path), from.m.at(from.path));
    this.use(from.m, from.path);
  }

  skip(m: Manifest, reason: string): void {
    this.skipped.push({ kind: m.kind, name: `${m.namespace}/${m.name}`, pos: m.at([]), reason });
  }

  /**
   * Every key under `spec` of the given manifests that nothing read: one warning per topmost such key. `known`
   * lists the spec keys the CRD defines; another key is one the cluster itself prunes.
   */
  reportUnread(ms: readonly Manifest[], known?: Readonly<Record<string, readonly string[]>>): void {
    for (const m of ms) {
      const used = this.used.get(m) ?? new Set<string>();
      const isUsed = (p: string) => {
        for (let q = p; q; q = parentOf(q)) if (used.has(q)) return true;
        return false;
      };
      const anyUnder = (p: string) => [...used].some((u) => u.startsWith(`${p}.`) || u.startsWith(`${p}[`));
      const walk = (v: unknown, path: KeyPath) => {
        const f = formatPath(path);
        if (isUsed(f)) return;
        if (path.length > 1 && !anyUnder(f)) {
          const pruned = path.length === 2 && known?.[m.kind] && !known[m.kind]!.includes(String(path[1]));
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
