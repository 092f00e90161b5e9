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
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labels: readonly string[],
  ) {}

  protected series(values: readonly string[], buckets: number): Series {
    let node: Trie = this.root;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i]!) as Trie | undefined;
      if (!next) node.set(values[i]!, (next = new Map()));
      node = next;
    }
    const last = values[values.length - 1] ?? '';
    let s = node.get(last) as Series | undefined;
    if (!s) node.set(last, (s = { values: [...values], counts: new Float64Array(buckets), sum: 0, count: 0 }));
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
  }

  abstract render(): string;
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
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.all()) {
      for (let i = 0; i < this.buckets.length; i++)
        out += `${this.name}_bucket${this.labelText(s.values, `le="${this.buckets[i]}"`)} ${s.counts[i]}\n`;
      out += `${this.name}_bucket${this.labelText(s.values, 'le="+Inf"')} ${s.count}\n`;
      out += `${this.name}_sum${this.labelText(s.values)} ${s.sum}\n${this.name}_count${this.labelText(s.values)} ${s.count}\n`;
    }
    return out;
  }
}
