/**
 * Bounded alias expansion for the YAML readers (profiles and manifests). An alias is a copy of its anchor, so
 * nested aliases multiply (ten lines can stand for ten million values, the "billion laughs") and an alias inside
 * its own anchor never ends. Both are refused with a problem at the alias instead of hanging or crashing the reader.
 */
import { type Alias, type Document, isAlias, isCollection, isScalar, type Node } from 'yaml';

/**
 * Values one file may gain through aliases. Reusing an anchor hundreds of times (a shared target list in every
 * model) stays far below it; a bomb crosses it after a few milliseconds of work.
 */
export const MAX_ALIASED_VALUES = 100_000;

/**
 * Characters one load (a profile, or every file of one import) may gain through aliases. Counting values alone
 * let one 1 MiB string, anchored once and aliased 5,000 times (a 1.3 MB file), pass as 5,000 values; every later
 * string operation on a copy (escaping a skipped manifest's name, filling in `${VAR:-d}`) then made it a fresh
 * 1 MiB, and the reader — a serving gateway at its reload too — died of an exhausted heap. The aliases of a real
 * profile or manifest set add some 100 Ki characters (a shared target list or label map of a few hundred
 * characters, reused in hundreds of places): 16 Mi is over a hundred times that, and its copies stay tens of MiB.
 */
export const MAX_ALIASED_CHARS = 16 * 1024 * 1024;

/**
 * What aliases may still add, shared by every document of one file: a budget per document let a file of 5,000
 * small bombs (1.4 MB of manifests) expand to 500 million values and abort on an exhausted heap.
 */
export class AliasBudget {
  spent = 0;
  /** Characters of the scalars aliases copied so far. */
  chars = 0;
  constructor(
    readonly limit = MAX_ALIASED_VALUES,
    readonly charLimit = MAX_ALIASED_CHARS,
  ) {}
}

/** Thrown by the walker; the readers turn it into a problem at `offset`. */
export class YamlAliasError extends Error {
  constructor(
    message: string,
    readonly offset: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Tracks one conversion of a document: `node` before converting each node (counts what aliases add),
 * `collection` around a map or sequence, `alias` to resolve one. Throws YamlAliasError past a limit or on a cycle.
 */
export class AliasWalker {
  private depthInAlias = 0;
  /** The alias being expanded at the top: where the problem points (the bomb's fuse, not a value deep inside it). */
  private outer: Alias | undefined;
  private readonly open = new Set<Node>();
  /**
   * Anchors as the walk meets them, in document order (the latest of a name wins, as YAML says). The library's
   * own `alias.resolve(doc)` visits the whole document for each alias: 20,000 aliases took minutes.
   */
  private readonly anchors = new Map<string, Node>();

  constructor(
    private readonly doc: Document.Parsed,
    private readonly budget = new AliasBudget(),
  ) {}

  /** Whether the walk is inside an alias: its values stand where the alias does (no position of their own). */
  get inAlias(): boolean {
    return this.depthInAlias > 0;
  }

  node(node: Node): void {
    // Inside an alias the anchors are ones already met: registering them again would undo a later redefinition.
    if (this.depthInAlias === 0 && node.anchor) this.anchors.set(node.anchor, node);
    if (this.depthInAlias > 0) this.charge(node, this.outer ?? node);
  }

  /**
   * A key met inside an alias's copy (a literal key of an anchored map): a copy too, counted as its value is. Only
   * values reached node(): a map anchored once with a 1 MiB key, aliased by 2,000 backends, read as ok and copied
   * the key 2,000 times where a command built text from it (export: 2.2 GB, then out of memory).
   */
  key(node: Node): void {
    if (this.depthInAlias > 0) this.charge(node, this.outer ?? node);
  }

  /** Counts one value an alias copies against the budget; `at` is the alias the problem points to. */
  private charge(node: Node, at: Node): void {
    const source = isAlias(at) ? at.source : undefined;
    if (++this.budget.spent > this.budget.limit) {
      throw new YamlAliasError(
        `aliases expand to more than ${this.budget.limit} values (at *${source}; nested aliases multiply): ` +
          'write the values out or reuse fewer',
        at.range?.[0],
      );
    }
    // Each copy of a scalar costs its length: what a string operation on the copy allocates.
    if ((this.budget.chars += scalarLength(node)) > this.budget.charLimit) {
      throw new YamlAliasError(
        `aliases expand to more than ${this.budget.charLimit} characters (at *${source}; each alias of a long ` +
          'value copies it): write the value out or reuse it less',
        at.range?.[0],
      );
    }
  }

  collection<T>(node: Node, convert: () => T): T {
    this.open.add(node);
    try {
      return convert();
    } finally {
      this.open.delete(node);
    }
  }

  /**
   * The node an alias used as a key names, counted against the budget like an alias's value: the key's text is a
   * copy too (each place a key stands is kept by its path, so a thousand keys aliasing one 1 MiB string were 1 GiB).
   */
  target(alias: Alias): Node | undefined {
    const target = this.lookup(alias);
    if (target) this.charge(target, this.depthInAlias > 0 && this.outer ? this.outer : alias);
    return target;
  }

  /** The node an alias names (the latest anchor of its name met so far). */
  private lookup(alias: Alias): Node | undefined {
    return this.anchors.get(alias.source) ?? (alias.resolve(this.doc) as Node | undefined);
  }

  alias<T>(alias: Alias, convert: (target: Node | undefined) => T): T {
    const target = this.lookup(alias);
    // An alias of no anchor (a typo, an anchor in another file) read as null: "expected a string, got null (an empty
    // value)" at a value that was not empty, and nothing at all where null is a setting's absence.
    if (!target)
      throw new YamlAliasError(`alias *${alias.source} names no anchor: write &${alias.source} on a value before it`, alias.range?.[0]);
    if (isCollection(target) && this.open.has(target)) {
      throw new YamlAliasError(`alias *${alias.source} is inside the value it names: it would never end`, alias.range?.[0]);
    }
    if (this.depthInAlias++ === 0) this.outer = alias;
    try {
      return convert(target);
    } finally {
      this.depthInAlias--;
    }
  }
}

/** The length of a scalar's value as the readers see it (numbers and booleans as their text). */
function scalarLength(node: Node): number {
  const v = isScalar(node) ? node.value : undefined;
  return typeof v === 'string' ? v.length : v == null ? 0 : String(v).length;
}
