/**
 * Bounded alias expansion for the YAML readers (profiles and manifests). An alias is a copy of its anchor, so
 * nested aliases multiply (ten lines can stand for ten million values, the "billion laughs") and an alias inside
 * its own anchor never ends. Both are refused with a problem at the alias instead of hanging or crashing the reader.
 */
import { type Alias, type Document, isCollection, type Node } from 'yaml';

/**
 * Values one file may gain through aliases. Reusing an anchor hundreds of times (a shared target list in every
 * model) stays far below it; a bomb crosses it after a few milliseconds of work.
 */
export const MAX_ALIASED_VALUES = 100_000;

/**
 * What aliases may still add, shared by every document of one file: a budget per document let a file of 5,000
 * small bombs (1.4 MB of manifests) expand to 500 million values and abort on an exhausted heap.
 */
export class AliasBudget {
  spent = 0;
  constructor(readonly limit = MAX_ALIASED_VALUES) {}
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
    if (this.depthInAlias > 0 && ++this.budget.spent > this.budget.limit) {
      throw new YamlAliasError(
        `aliases expand to more than ${this.budget.limit} values (at *${this.outer?.source}; nested aliases multiply): ` +
          'write the values out or reuse fewer',
        (this.outer ?? node).range?.[0],
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

  /** The node an alias names (the latest anchor of its name met so far). */
  target(alias: Alias): Node | undefined {
    return this.anchors.get(alias.source) ?? (alias.resolve(this.doc) as Node | undefined);
  }

  alias<T>(alias: Alias, convert: (target: Node | undefined) => T): T {
    const target = this.target(alias);
    if (target && isCollection(target) && this.open.has(target)) {
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
