/**
 * Label values learned at run time, bounded: the first `capacity` distinct well-formed names are kept and
 * every later newcomer is refused, so a backend answering with any `model` adds at most `capacity` series.
 */

/** What a learned name may look like: a model name, not text (letters, digits and . _ : / @ + -, at most 128). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$/;

export class LearnedNames {
  private readonly names = new Set<string>();

  constructor(readonly capacity: number) {}

  /** Whether `name` may be a label value: already learned, or learned now while there is room. */
  admit(name: string): boolean {
    if (this.names.has(name)) return true;
    if (this.names.size >= this.capacity || !NAME.test(name)) return false;
    this.names.add(name);
    return true;
  }

  get size(): number {
    return this.names.size;
  }
}
