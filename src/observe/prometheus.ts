/**
 * A minimal Prometheus registry: counters, gauges and histograms whose series are found through nested
 * Maps keyed by label values — no label string is built per observation, and label values are taken only
 * from bounded sets (configured names, or `unknown`).
 */

interface Series {
  values: readonly string[];
  counts: Float64Array;
  sum: number;
  count: number;
}

type Trie = Map<string, Trie | Series>;

abstract class Metric {
  protected readonly root: Trie = new Map();
  /** The series found last: most observations repeat the labels of the one before (one model, one backend). */
  private last: Series | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labels: readonly string[],
  ) {}

  protected series(values: readonly string[], buckets: number): Series {
    const last = this.last;
    if (last !== undefined && sameValues(last.values, values)) return last;
    let node: Trie = this.root;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i]!) as Trie | undefined;
      if (!next) node.set(values[i]!, (next = new Map()));
      node = next;
    }
    const leaf = values[values.length - 1] ?? '';
    let s = node.get(leaf) as Series | undefined;
    if (!s) node.set(leaf, (s = { values: [...values], counts: new Float64Array(buckets), sum: 0, count: 0 }));
    this.last = s;
    return s;
  }

  protected *all(node: Trie = this.root): Generator<Series> {
    for (const v of node.values()) {
      if (v instanceof Map) yield* this.all(v);
      else yield v;
    }
  }

  /** An empty value is no label at all, as in Prometheus itself (error_type on a success, as Envoy AI Gateway exports it). */
  protected labelText(values: readonly string[], extra = ''): string {
    const parts: string[] = [];
    for (let i = 0; i < this.labels.length; i++) if (values[i]) parts.push(`${this.labels[i]}="${escapeLabel(values[i]!)}"`);
    if (extra) parts.push(extra);
    return parts.length ? `{${parts.join(',')}}` : '';
  }

  reset(): void {
    this.root.clear();
    this.last = undefined;
  }

  abstract render(): string;
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Counter extends Metric {
  inc(values: readonly string[], n = 1): void {
    this.series(values, 0).sum += n;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    // Without labels there is one series, 0 before its first count (as Prometheus's clients expose it): with no
    // sample, a rate() panel over it says "no data" where it should say 0.
    if (this.labels.length === 0 && this.root.size === 0) return `${out}${this.name} 0\n`;
    for (const s of this.all()) out += `${this.name}${this.labelText(s.values)} ${s.sum}\n`;
    return out;
  }
}

export class Gauge extends Metric {
  set(values: readonly string[], v: number): void {
    this.series(values, 0).sum = v;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    for (const s of this.all()) out += `${this.name}${this.labelText(s.values)} ${s.sum}\n`;
    return out;
  }
}

export class Histogram extends Metric {
  constructor(
    name: string,
    help: string,
    labels: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labels);
  }
  observe(values: readonly string[], v: number): void {
    const s = this.series(values, this.buckets.length);
    // The first bucket that holds v, only: render() sums them into Prometheus's cumulative counts.
    const b = this.buckets;
    let i = 0;
    while (i < b.length && !(v <= b[i]!)) i++;
    if (i < b.length) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.all()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i]!;
        out += `${this.name}_bucket${this.labelText(s.values, `le="${this.buckets[i]}"`)} ${cumulative}\n`;
      }
      out += `${this.name}_bucket${this.labelText(s.values, 'le="+Inf"')} ${s.count}\n`;
      out += `${this.name}_sum${this.labelText(s.values)} ${s.sum}\n${this.name}_count${this.labelText(s.values)} ${s.count}\n`;
    }
    return out;
  }
}
