/**
 * What the importer shares: the manifests by kind and name, the profile being built (plain values, as a
 * profile file would hold them), where each profile key came from, every warning with its FILE:LINE:COL,
 * and which keys of each manifest were read — whatever was not is reported, never dropped silently.
 */
import { getOwn, setOwn } from '../../profile/own-keys.js';
import { escapeControls } from '../../core/printable.js';
import { formatPath, type KeyPath, type ProfileProblem } from '../../profile/problems.js';
import { quoted } from '../../profile/suggest.js';
import { DEFAULT_NAMESPACE, type Manifest, type SourcePos } from './manifests.js';
import { FreeNames } from './free-names.js';
import { wholeEnvRef } from './names.js';

export type Raw = Record<string, unknown>;

/** The longest name Kubernetes takes (a DNS-1123 subdomain): anything past it is no real manifest's. */
const MAX_NAME = 253;
/** A skip's reason quotes a kind, a name or a file: room for real ones, not for a megabyte. */
const MAX_REASON = 1024;

/** `text` cut to `max` characters, `…` marking the cut. */
function cut(text: string, max = MAX_NAME): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A manifest's value in a message: as JSON, cut after 100 characters, as the profile's own problems quote values — a
 * 4 MB value quoted whole was a 4 MB problem, kept in each refused reload's event under `serve -c MANIFESTS`.
 */
export function shown(v: unknown): string {
  if (typeof v === 'string') return quoted(v);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

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
  /** Gateway policies a route's own policy replaces (policiesFor), each said once. */
  readonly overridden = new Set<Manifest>();
  /**
   * The public models a route rule of the cluster routes (not the `M:priority-N` fallbacks the import makes up), each
   * with the AIGatewayRoute of every route Envoy Gateway generates for it (its own rule and each header match): a
   * rate-limit rule that is not `shared` counts per such route, and a policy on some routes limits their models only.
   */
  readonly routedModels = new Map<string, Manifest[]>();

  /**
   * The manifests by kind, and by kind, namespace and name: every backend and route looks others up, and a scan
   * per lookup made an import of thousands of rules quadratic. Of two objects with one kind, namespace and name,
   * the last is kept, as `kubectl apply` keeps it; the earlier one is a warning and listed as skipped.
   */
  private readonly byKind = new Map<string, Manifest[]>();
  private readonly byName = new Map<string, Manifest>();
  /** Per policy kind: the policies by the object their targetRefs name (kind, the policy's namespace, name). */
  private readonly byTarget = new Map<string, Map<string, Manifest[]>>();
  /** Per policy kind: the policies with targetSelectors, matched per lookup. */
  private readonly bySelectors = new Map<string, Manifest[]>();
  /** Selector warnings already given (a lookup repeats). */
  private readonly saidUnknown = new Set<string>();
  /** The variable each credential (a Secret's key, a missing Backend's URL) reads, and every variable taken. */
  private readonly variableOf = new Map<string, string>();
  private readonly variableNames = new FreeNames((wanted, i) => `${wanted}_${i}`);
  /** Variables the Secrets name themselves (an envsubst `${VAR}`): never given to another credential. */
  private named?: Set<string>;

  /** The manifests given, in order, without those a later one of the same kind, namespace and name replaces. */
  readonly manifests: readonly Manifest[];

  constructor(given: readonly Manifest[]) {
    for (const m of given) {
      const key = nameKey(m.kind, m.name, m.namespace);
      const before = m.name === '' ? undefined : this.byName.get(key);
      if (before) {
        const later = m.at([]);
        this.warn(
          before,
          ['metadata', 'name'],
          `${this.label(m)} is given again at ${later.file}:${later.line}:${later.col}: kubectl apply keeps the last, ` +
            'so this one is ignored',
        );
        this.skip(before, `replaced by the ${m.kind} of the same name at ${later.file}:${later.line}:${later.col}`);
      }
      this.byName.set(key, m);
    }
    this.manifests = given.filter((m) => m.name === '' || this.byName.get(nameKey(m.kind, m.name, m.namespace)) === m);
    for (const m of this.manifests) {
      const same = this.byKind.get(m.kind);
      if (same) same.push(m);
      else this.byKind.set(m.kind, [m]);
    }
  }

  /** Manifests of one kind (any served apiVersion of its group), in the order given; of duplicates, the last. */
  ofKind(kind: string): readonly Manifest[] {
    return this.byKind.get(kind) ?? [];
  }

  find(kind: string, name: string, namespace = DEFAULT_NAMESPACE): Manifest | undefined {
    return this.byName.get(nameKey(kind, name, namespace));
  }

  /**
   * The policies of `policyKind` that attach to this object, in the order given: by targetRefs (or targetRef)
   * naming it, or by targetSelectors whose labels it carries (an HTTPRoute's are its AIGatewayRoute's, which
   * generates it). An object not among the files has labels nobody can read: a selector of its kind is taken to
   * select it, and said — an authentication policy dropped on a guess would import as an open door.
   */
  targeting(policyKind: string, kind: string, name: string, namespace: string): readonly Manifest[] {
    let index = this.byTarget.get(policyKind);
    if (!index) {
      index = new Map();
      for (const p of this.ofKind(policyKind)) {
        const spec = p.value.spec && typeof p.value.spec === 'object' ? (p.value.spec as Raw) : {};
        const refs: unknown[] = Array.isArray(spec.targetRefs) ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : [];
        for (const r of refs) {
          const ref = r && typeof r === 'object' ? (r as Raw) : {};
          if (typeof ref.kind !== 'string' || typeof ref.name !== 'string') continue;
          const key = nameKey(ref.kind, ref.name, p.namespace);
          const list = index.get(key);
          if (!list) index.set(key, [p]);
          else if (list.at(-1) !== p) list.push(p);
        }
      }
      this.byTarget.set(policyKind, index);
    }
    const named = index.get(nameKey(kind, name, namespace)) ?? [];
    let withSelectors = this.bySelectors.get(policyKind);
    if (!withSelectors) {
      withSelectors = this.ofKind(policyKind).filter((p) => Array.isArray((p.value.spec as Raw | undefined)?.targetSelectors));
      this.bySelectors.set(policyKind, withSelectors);
    }
    if (withSelectors.length === 0) return named;
    const selecting = withSelectors.filter((p) => !named.includes(p) && this.selects(p, kind, name, namespace));
    if (selecting.length === 0) return named;
    const all = new Set([...named, ...selecting]);
    return this.ofKind(policyKind).filter((p) => all.has(p));
  }

  /** A warning at a policy's selector, once however often a lookup repeats it. */
  private sayOnce(p: Manifest, i: number, what: string): void {
    const said = JSON.stringify([p.kind, p.namespace, p.name, i, what]);
    if (this.saidUnknown.has(said)) return;
    this.saidUnknown.add(said);
    this.warn(p, ['spec', 'targetSelectors', i], what);
  }

  /**
   * Whether one of `p`'s targetSelectors selects the object: its kind, its labels, in the policy's namespace — or,
   * with `namespaces: { from: All }`, in any; `from: Selector` names namespaces by labels the files may not hold,
   * so such a selector is taken to reach every namespace (said).
   */
  private selects(p: Manifest, kind: string, name: string, namespace: string): boolean {
    const spec = p.value.spec && typeof p.value.spec === 'object' ? (p.value.spec as Raw) : {};
    if (!Array.isArray(spec.targetSelectors)) return false;
    const target = this.find(kind === 'HTTPRoute' ? 'AIGatewayRoute' : kind, name, namespace);
    const meta = target?.value.metadata && typeof target.value.metadata === 'object' ? (target.value.metadata as Raw) : {};
    const labels = meta.labels && typeof meta.labels === 'object' ? (meta.labels as Raw) : {};
    return spec.targetSelectors.some((sel, i) => {
      const s = sel && typeof sel === 'object' ? (sel as Raw) : {};
      if (s.kind !== kind) return false;
      this.use(p, ['spec', 'targetSelectors', i]);
      const from = s.namespaces && typeof s.namespaces === 'object' ? (s.namespaces as Raw).from : undefined;
      if (from === 'Selector') this.sayOnce(p, i, 'namespaces are chosen by labels: taken to reach every namespace');
      if (p.namespace !== namespace && from !== 'All' && from !== 'Selector') return false;
      if (!target) {
        this.sayOnce(p, i, `${kind} ${namespace}/${name} is not among the files, so its labels are unknown: taken to be selected`);
        return true;
      }
      return labelsMatch(labels, s);
    });
  }

  /**
   * The variable a credential is read from, named `wanted` unless another credential has that name (or a Secret
   * names it as its own `${VAR}`): then `wanted_2`, `wanted_3`, … in the order asked. `identity` is what the
   * credential is (a Secret's namespace, name and key): the same one asked twice keeps its variable, and two
   * different ones never share one — a shared variable would send one backend's key to another's host.
   */
  variableFor(identity: readonly string[], wanted: string): string {
    const id = JSON.stringify(identity);
    const known = this.variableOf.get(id);
    if (known) return known;
    const named = this.namedVariables();
    const variable = this.variableNames.give(wanted, (v) => named.has(v));
    this.variableOf.set(id, variable);
    return variable;
  }

  private namedVariables(): ReadonlySet<string> {
    if (this.named) return this.named;
    this.named = new Set();
    for (const s of this.ofKind('Secret')) {
      for (const field of ['stringData', 'data'] as const) {
        const values = s.value[field];
        if (!values || typeof values !== 'object') continue;
        for (const v of Object.values(values)) {
          if (typeof v !== 'string') continue;
          const ref = wholeEnvRef(field === 'data' ? Buffer.from(v, 'base64').toString('utf8') : v);
          if (ref) this.named.add(ref);
        }
      }
    }
    return this.named;
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

  /**
   * Sets a profile key to `${variable}` (and `suffix` after it: a URL's path): the one kind of value the profile reads
   * from the environment.
   */
  setVariable(path: KeyPath, variable: string, from: { m: Manifest; path: KeyPath }, index?: number, suffix = ''): void {
    this.set(path, index === undefined ? `\${${variable}}${suffix}` : [`\${${variable}}${suffix}`], from);
    this.variables.add(formatPath(index === undefined ? path : [...path, index]));
  }

  skip(m: Manifest, reason: string): void {
    this.skippedManifests.add(m);
    // Printed as they are (validate's skipped lines): a name's control characters must not reach the terminal.
    // Cut first to what Kubernetes allows a name (253 characters): escaping copies, and a file's thousand
    // manifests each named by one alias of a 1 MiB string made a thousand such copies.
    this.skipped.push({
      kind: escapeControls(cut(m.kind)),
      name: escapeControls(`${cut(m.namespace)}/${cut(m.name)}`),
      pos: m.at([]),
      reason: escapeControls(cut(reason, MAX_REASON)),
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

/** A Kubernetes label selector (matchLabels and matchExpressions, all of them) against an object's labels. */
export function labelsMatch(labels: Raw, selector: Raw): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  const value = (k: string) => (has(k) ? String(labels[k]) : undefined);
  const matchLabels = selector.matchLabels && typeof selector.matchLabels === 'object' ? (selector.matchLabels as Raw) : {};
  for (const [k, v] of Object.entries(matchLabels)) if (value(k) !== String(v)) return false;
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of expressions) {
    const x = e && typeof e === 'object' ? (e as Raw) : {};
    const key = String(x.key);
    const values = Array.isArray(x.values) ? x.values.map(String) : [];
    const v = value(key);
    const ok =
      x.operator === 'In'
        ? v !== undefined && values.includes(v)
        : x.operator === 'NotIn'
          ? v === undefined || !values.includes(v)
          : x.operator === 'Exists'
            ? has(key)
            : x.operator === 'DoesNotExist'
              ? !has(key)
              : false;
    if (!ok) return false;
  }
  return true;
}
