/**
 * A parsed YAML document as plain values, for both readers (profiles: profile/yaml-source.ts; manifests:
 * bridge/envoy/manifests.ts). Aliases are bounded and resolved as they are met (yaml-aliases.ts), a repeated
 * key is a problem (found with a set: the library's own check is quadratic), every key is an own property (even
 * `__proto__`), and each value's place is reported — except inside an alias, whose copies have no place of
 * their own (a problem there points at the alias).
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, type Scalar } from 'yaml';
import { setOwn } from './own-keys.js';
import type { KeyPath } from './problems.js';
import { type AliasBudget, AliasWalker, YamlAliasError } from './yaml-aliases.js';

/** What the YAML library says of a repeated key (the readers said it before, through the library). */
export const DUPLICATE_KEY = 'Map keys must be unique';

/** A key that is a map or a list (`? [a, b]`), or an alias of one. */
export const COMPLEX_KEY = 'a key must be a plain value (text or a number), not a map or a list';

/** `<<` as YAML 1.1 spells a merge key (plain), or any scalar tagged !!merge (go-yaml v2 takes `!!merge "<<"`). */
function isMergeKey(node: Node | null | undefined): boolean {
  return isScalar(node) && ((node.value === '<<' && node.type === 'PLAIN') || node.tag === 'tag:yaml.org,2002:merge');
}

const MERGE_CONFLICT = (key: string) =>
  `${JSON.stringify(key)} is set both by a merge key (<<) and beside it: readers disagree on which wins — write the map out`;

/** A key's text: a scalar's value as the readers always took it, undefined for a map or a list. */
function keyText(node: Node | null | undefined): string | undefined {
  if (node == null) return 'null';
  return isScalar(node) ? String(node.value) : undefined;
}

export interface WalkHooks {
  /** Where a key (`kind: 'key'`) or a value starts; a key's place stands for its value until the value has one. */
  place(kind: 'key' | 'value', path: KeyPath, offset: number | undefined): void;
  /** The value of a scalar (a reader may fill in `${VAR}`). */
  scalar(node: Scalar, path: KeyPath): unknown;
  problem(offset: number | undefined, message: string, path: KeyPath): void;
  /** A key to leave out, and why; undefined keeps it. `node`: the scalar it was read from (an alias's target). */
  refuseKey?(key: string, node: Scalar | null | undefined): string | undefined;
  /**
   * Read `<<: *anchor` (or a list of them) as YAML 1.1's merge key, as kubectl's go-yaml does: the maps' keys that
   * the map does not set itself, the first map's before a later one's. Unset: `<<` is a key like any other.
   */
  mergeKeys?: boolean;
}

/**
 * The document's value, or undefined when a problem (an alias past its bound, a repeated key) left none. The
 * documents of one file share one alias budget.
 */
export function walkDocument(doc: Document.Parsed, hooks: WalkHooks, budget?: AliasBudget): unknown {
  const aliases = new AliasWalker(doc, budget);
  let repeated = false;
  const convert = (node: Node | null | undefined, path: KeyPath): unknown => {
    if (node == null) return null;
    aliases.node(node);
    if (!aliases.inAlias) hooks.place('value', path, node.range?.[0]);
    if (isAlias(node)) return aliases.alias(node, (target) => convert(target, path));
    if (isMap(node)) {
      return aliases.collection(node, () => {
        const out: Record<string, unknown> = {};
        const seen = new Set<string>();
        let merged: unknown[] | undefined;
        for (const pair of node.items) {
          const keyNode = pair.key as Node | null;
          if (hooks.mergeKeys && isMergeKey(keyNode)) {
            const v = convert(pair.value as Node | null, path);
            (merged ??= []).push(...(Array.isArray(v) ? v : [v]));
            continue;
          }
          const at = keyNode?.range?.[0];
          if (keyNode && !isAlias(keyNode)) aliases.key(keyNode);
          const keyFrom = isAlias(keyNode) ? aliases.target(keyNode) : keyNode;
          const key = keyText(keyFrom);
          if (key === undefined) {
            // `String(node)` made an alias key the text "*name" and a map or list key its YAML text.
            if (!aliases.inAlias) hooks.problem(at, COMPLEX_KEY, path);
            repeated = true;
            continue;
          }
          const childPath = [...path, key];
          if (seen.has(key)) {
            // Reported once, at the anchor, not again wherever an alias copies the map.
            if (!aliases.inAlias) hooks.problem(at, DUPLICATE_KEY, []);
            repeated = true;
            continue;
          }
          seen.add(key);
          const refused = hooks.refuseKey?.(key, isScalar(keyFrom) ? keyFrom : undefined);
          if (refused !== undefined) {
            if (!aliases.inAlias) hooks.problem(at, refused, childPath);
            continue;
          }
          if (!aliases.inAlias) {
            hooks.place('key', childPath, at);
            hooks.place('value', childPath, at);
          }
          setOwn(out, key, convert(pair.value as Node | null, childPath));
        }
        for (const m of merged ?? []) {
          if (!m || typeof m !== 'object' || Array.isArray(m)) {
            if (!aliases.inAlias) hooks.problem(node.range?.[0], 'a merge key (<<) takes a map or a list of maps', path);
            repeated = true;
            continue;
          }
          for (const [k, v] of Object.entries(m)) {
            // Which value wins depends on the reader (YAML 1.1 says the map's own; go-yaml v2, kubectl's, the one last
            // in the text): a key set twice could read as one thing here and another in the cluster. Refused.
            if (Object.hasOwn(out, k)) {
              if (!aliases.inAlias) hooks.problem(node.range?.[0], MERGE_CONFLICT(k), path);
              repeated = true;
              continue;
            }
            setOwn(out, k, v);
          }
        }
        return out;
      });
    }
    if (isSeq(node)) return aliases.collection(node, () => node.items.map((item, i) => convert(item as Node | null, [...path, i])));
    if (isScalar(node)) return hooks.scalar(node, path);
    return null;
  };
  try {
    const value = convert(doc.contents as Node | null, []);
    // As when the library refused the document: no value beside the problem.
    return repeated ? undefined : value;
  } catch (e) {
    if (!(e instanceof YamlAliasError)) throw e;
    hooks.problem(e.offset, e.message, []);
    return undefined;
  }
}
