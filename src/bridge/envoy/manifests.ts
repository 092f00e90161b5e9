/**
 * Kubernetes manifests as files hold them: multi-document YAML → one record per object (apiVersion, kind,
 * name, namespace, plain value) that remembers where each key stood, so what the importer says points
 * at FILE:LINE:COL. Values are taken literally: `${VAR}` stays text (envsubst-style Secrets keep their name).
 */
import { Composer, isMap, LineCounter, type Node, Parser, parseAllDocuments, type Scalar, type Tags } from 'yaml';
import { formatPath, type KeyPath } from '../../profile/problems.js';
import { AliasBudget } from '../../profile/yaml-aliases.js';
import { walkDocument } from '../../profile/yaml-walk.js';
import { yamlMessage } from '../../profile/yaml-source.js';

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** The whole object as plain values. */
  value: Record<string, unknown>;
  /** Where a path inside this object stands (the nearest ancestor that does, else the document's start). */
  at(path: KeyPath): SourcePos;
}

export interface ReadResult {
  manifests: Manifest[];
  /** YAML syntax errors and documents that are not Kubernetes objects. */
  problems: { pos: SourcePos; message: string }[];
}

/** `metadata.namespace` absent means the namespace kubectl applies to: `default` unless told otherwise. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * go-yaml v2 reads a `!!pairs` or `!!omap` sequence as any other, a list of its maps: the library's tags for them make
 * Pair lists, which the walk took for nulls (a rule's backendRefs gone without a word). Left out (and not resolved as
 * known tags either), they are sequences.
 */
const LEFT_OUT = new Set(['tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:merge', 'tag:yaml.org,2002:pairs', 'tag:yaml.org,2002:omap']);

/** A scalar's value as go-yaml v2 hands it to an untyped value: `!!binary` (bytes here) as its decoded text. */
const scalarValue = (node: Scalar): unknown => (node.value instanceof Uint8Array ? Buffer.from(node.value).toString('utf8') : node.value);

/**
 * Scalars as kubectl reads them: sigs.k8s.io/yaml over go-yaml v2, YAML 1.1's resolution — `yes`/`on`/`y` are true,
 * `no`/`off`/`n` false, `010` is 8, `1_000` 1000, `0b11` 3. Read as YAML 1.2 (the library's default), a rule's
 * `shared: yes` was the text "yes", not shared — a tenant's limit imported per model where the cluster counts one — and
 * a weight `010` ten where the cluster sends eight. go-yaml v2 reads no sexagesimal (`1:30` stays text) and hands a
 * date to an untyped value as its text, so those tags are left out; `<<` stays a plain key for walkDocument's merge.
 */
const KUBECTL_SCHEMA = {
  schema: 'yaml-1.1',
  resolveKnownTags: false,
  merge: false,
  customTags: (tags: Tags) =>
    tags.filter((t) => typeof t === 'string' || (!LEFT_OUT.has(t.tag) && (!('format' in t) || t.format !== 'TIME'))),
} as const;

/** `budget`: what aliases may still add, shared by every file of one import (a directory of small bombs too). */
export function readManifests(text: string, file: string, budget = new AliasBudget()): ReadResult {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, ...KUBECTL_SCHEMA });
  const out: ReadResult = { manifests: [], problems: [] };
  const posOf = (offset: number | undefined): SourcePos => {
    const p = lines.linePos(offset ?? 0);
    return { file, line: p.line, col: p.col };
  };
  for (const doc of docs) {
    const errors = [...doc.errors];
    if (errors.length) {
      for (const e of errors) out.problems.push({ pos: posOf(e.pos[0]), message: yamlMessage(e.message) });
      continue;
    }
    if (doc.contents == null) continue; // an empty document between two `---`
    const where = new Map<string, SourcePos>();
    const value = walkDocument(
      doc,
      {
        place: (_kind, path, offset) => where.set(formatPath(path), posOf(offset)),
        scalar: scalarValue,
        problem: (offset, message) => out.problems.push({ pos: posOf(offset), message }),
        mergeKeys: true,
      },
      budget,
    );
    if (value === undefined) continue; // its problem is reported
    if (value === null) continue; // a document of comments only (a trailing `---`)
    const start = posOf((doc.contents as Node).range?.[0]);
    const meta = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    if (!meta || typeof meta.apiVersion !== 'string' || typeof meta.kind !== 'string') {
      out.problems.push({ pos: start, message: 'expected a Kubernetes object with apiVersion and kind' });
      continue;
    }
    const at = (path: KeyPath): SourcePos => {
      for (let p = path; ; p = p.slice(0, -1)) {
        const hit = where.get(formatPath(p));
        if (hit) return hit;
        if (p.length === 0) return start;
      }
    };
    // `kubectl get -o yaml` writes a List (`kind: List`, or a kind's own `…List`): its items are the objects.
    if (meta.kind.endsWith('List') && Array.isArray(meta.items)) {
      meta.items.forEach((item, i) => {
        const o = item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : undefined;
        const itemAt = (path: KeyPath): SourcePos => at(['items', i, ...path]);
        if (!o || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
          out.problems.push({ pos: itemAt([]), message: 'expected a Kubernetes object with apiVersion and kind' });
        } else out.manifests.push(manifestOf(file, o, itemAt));
      });
      continue;
    }
    out.manifests.push(manifestOf(file, meta, at));
  }
  return out;
}

function manifestOf(file: string, value: Record<string, unknown>, at: (path: KeyPath) => SourcePos): Manifest {
  const metadata = value.metadata && typeof value.metadata === 'object' ? (value.metadata as Record<string, unknown>) : undefined;
  return {
    file,
    apiVersion: value.apiVersion as string,
    kind: value.kind as string,
    name: typeof metadata?.name === 'string' ? metadata.name : '',
    // An empty namespace is none, as kubectl applies it: the default.
    namespace: typeof metadata?.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : DEFAULT_NAMESPACE,
    value,
    at,
  };
}

/** Whether a YAML text is Kubernetes manifests rather than an aigw profile: any document with apiVersion and kind. */
export function isManifestText(text: string): boolean {
  // Repeated keys are the readers' to report (profile/yaml-walk.ts); here they would only slow the look (uniqueKeys is quadratic).
  const composer = new Composer({ uniqueKeys: false });
  // Document by document (what parseAllDocuments does, without collecting them): the first manifest answers,
  // and the thousands after it are parsed once, by the import, not twice.
  for (const doc of composer.compose(new Parser().parse(text))) {
    if (doc.errors.length) continue;
    // Only the top-level keys: nothing is expanded, so an alias bomb cannot hide the answer (or throw).
    if (isMap(doc.contents) && doc.contents.has('apiVersion') && doc.contents.has('kind')) return true;
  }
  return false;
}
