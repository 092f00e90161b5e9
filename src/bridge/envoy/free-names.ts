/**
 * Names given out once each, a taken one suffixed (`a`, `a-2`, `a-3`, …): the bridge's object labels, client ids and
 * variables. Each base counts on from the last suffix it was given — those before it are taken, and taken stays taken:
 * counted from 2 each time, 10,000 names of one base took seconds (quadratic).
 */
export class FreeNames {
  private readonly taken: Set<string>;
  private readonly next = new Map<string, number>();

  /** `taken`: names given out already; `suffixed` writes the i-th name of a base (i ≥ 2). */
  constructor(
    private readonly suffixed: (base: string, i: number) => string,
    taken: Iterable<string> = [],
  ) {
    this.taken = new Set(taken);
  }

  /** `base`, or its first suffixed form neither taken here nor by `alsoTaken`; taken from now on. */
  give(base: string, alsoTaken?: (name: string) => boolean): string {
    let i = this.next.get(base) ?? 1;
    let name = i === 1 ? base : this.suffixed(base, i);
    while (this.taken.has(name) || alsoTaken?.(name)) name = this.suffixed(base, ++i);
    this.next.set(base, i + 1);
    this.taken.add(name);
    return name;
  }
}
