import { describe, expect, it } from 'vitest';
import { allocationPerRequest, formatAllocation, type SamplingHeapNode } from '../../../scripts/lib/alloc-profile.js';
import {
  analyzeCpuProfile,
  areaOf,
  comparePerRequest,
  type CpuProfile,
  formatComparePerRequest,
  formatCpuTop,
} from '../../../scripts/lib/cpuprofile-top.js';
import { formatHeapGrowth, type HeapSnapshot, heapGrowth, summarizeHeap } from '../../../scripts/lib/heap-diff.js';

const ROOT = '/repo/';
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

describe('where CPU time is attributed', () => {
  const areas: [string, string, string, string][] = [
    ['repo file', 'file:///repo/dist/relay/sse.js', 'onData', 'dist/relay/sse.js'],
    ['npm package', 'file:///repo/node_modules/undici/lib/core/util.js', 'x', 'undici'],
    ['scoped package', 'file:///repo/node_modules/@opentelemetry/api/build/a.js', 'x', '@opentelemetry/api'],
    ['nested node_modules', 'file:///repo/node_modules/a/node_modules/b/i.js', 'x', 'b'],
    ['Node internals', 'node:internal/streams/writable', 'x', 'node:streams'],
    ['public Node module', 'node:events', 'emit', 'node:events'],
    ['the collector', '', '(garbage collector)', '(garbage collector)'],
    ['a native function', '', 'writev', '(native)'],
  ];
  for (const [name, url, fn, area] of areas) it(name, () => expect(areaOf(url, fn, ROOT)).toBe(area));

  // (root) → main → [a → a (recursion), b]; samples: a-inner, a-inner, b, idle, gc.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
      { id: 2, callFrame: frame('main', 'file:///repo/dist/cli/main.js', 9), children: [3, 5] },
      { id: 3, callFrame: frame('a', 'file:///repo/dist/a.js', 1), children: [4] },
      { id: 4, callFrame: frame('a', 'file:///repo/dist/a.js', 1) },
      { id: 5, callFrame: frame('b', 'file:///repo/node_modules/undici/index.js', 4) },
      { id: 6, callFrame: frame('(idle)') },
      { id: 7, callFrame: frame('(garbage collector)') },
    ],
    startTime: 1000,
    // Sample i lasts until sample i+1; the last one until endTime.
    samples: [4, 4, 5, 6, 7],
    timeDeltas: [0, 100, 200, 300, 50],
    endTime: 1000 + 650 + 80,
  };

  it('self time per sample interval, total time once per stack, idle left out of busy time', () => {
    const r = analyzeCpuProfile(profile, ROOT);
    expect(r.sampledUs).toBe(730);
    expect(r.busyUs).toBe(730 - 50);
    const by = Object.fromEntries(r.functions.map((f) => [f.name, f]));
    expect(by.a).toMatchObject({ selfUs: 300, totalUs: 300, where: 'dist/a.js:2', area: 'dist/a.js' });
    expect(by.b).toMatchObject({ selfUs: 300, totalUs: 300, where: 'undici/index.js:5', area: 'undici' });
    expect(by.main).toMatchObject({ selfUs: 0, totalUs: 600 });
    expect(by['(garbage collector)']?.selfUs).toBe(80);
    expect(by['(idle)']).toBeUndefined();
    expect(r.areas[0]).toEqual({ area: 'dist/a.js', selfUs: 300 });
    const text = formatCpuTop(r, 2);
    expect(text).toContain('busy 1 ms of 1 ms sampled; GC 11.8 % of busy');
    expect(text.split('\n').filter((l) => l.includes('(dist/a.js:2)'))).toHaveLength(1);
  });

  it('per request: what B spends more than A, by function and area, matched by name and place', () => {
    // A: 10 requests, 300 µs of b (undici) each load; B: 5 requests, b's 300 µs and a's 300 µs (a: B's alone).
    const bare: CpuProfile = {
      ...profile,
      nodes: profile.nodes.map((n) => (n.id === 4 ? { ...n, callFrame: frame('b', 'file:///repo/node_modules/undici/index.js', 4) } : n)),
      samples: [5, 5, 5, 6, 7],
    };
    const a = { analysis: analyzeCpuProfile(bare, ROOT), requests: 10 };
    const b = { analysis: analyzeCpuProfile(profile, ROOT), requests: 5 };
    const c = comparePerRequest(a, b);
    expect(c.busy).toEqual({ a: 68, b: 136 });
    // a only in B: 300 µs over 5 requests, from zero; b: 600 over 10 against 300 over 5.
    expect(c.extra[0]).toMatchObject({ name: 'a', a: 0, b: 60 });
    expect(c.extra.find((f) => f.name === 'b')).toMatchObject({ a: 60, b: 60 });
    expect(c.areas.find((x) => x.area === 'dist/a.js')).toEqual({ area: 'dist/a.js', a: 0, b: 60 });
    const text = formatComparePerRequest(c, ['bare', 'aigw']);
    expect(text).toContain('busy CPU per request (sampled): bare 68.0 µs, aigw 136.0 µs (+68.00)');
    expect(text).toMatch(/0\.00 → +60\.00 +\+60\.00 +a +\(dist\/a\.js:2\)/);
    expect(formatComparePerRequest(c, ['bare', 'aigw'], 15, 'stream')).toContain('busy CPU per stream (sampled)');
    // A load that completed nothing is read as one request, not divided by zero; an area only A has shows from B's zero.
    const none = comparePerRequest({ analysis: a.analysis, requests: 0 }, { ...b, analysis: { ...b.analysis, areas: [] } });
    expect(none.busy.a).toBe(680);
    expect(none.areas.find((x) => x.area === 'undici')).toEqual({ area: 'undici', a: 600, b: 0 });
  });
});

/** A snapshot in V8's format from [type, name, selfSize] nodes and [from, to, weak?] edges; node 0 is the root. */
function snapshot(nodes: [string, string, number][], edges: [number, number, boolean?][]): HeapSnapshot {
  const types = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'];
  const strings: string[] = [];
  const str = (s: string) => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const flatNodes = nodes.flatMap(([type, name, size], i) => [
    types.indexOf(type),
    str(name),
    i + 1,
    size,
    edges.filter((e) => e[0] === i).length,
  ]);
  const flatEdges = nodes.flatMap((_, i) => edges.filter((e) => e[0] === i).flatMap(([, to, weak]) => [weak ? 6 : 2, str('p'), to * 5]));
  return {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
        node_types: [types, 'string', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'], 'string_or_number', 'node'],
      },
    },
    nodes: flatNodes,
    edges: flatEdges,
    strings,
  };
}

describe('heap snapshots by constructor', () => {
  // root → A:Foo(10) → B:Bar(20); A → D:Foo(7) → B; root → C:Bar(5); A → E:Baz(3) and root ⇢ E weakly;
  // F:Qux is reachable only through a weak edge, so nothing retains it.
  const before = snapshot(
    [
      ['synthetic', '', 0],
      ['object', 'Foo', 10],
      ['object', 'Bar', 20],
      ['object', 'Bar', 5],
      ['object', 'Foo', 7],
      ['object', 'Baz', 3],
      ['object', 'Qux', 100],
    ],
    [
      [0, 1],
      [1, 2],
      [1, 4],
      [4, 2],
      [0, 3],
      [1, 5],
      [0, 5, true],
      [0, 6, true],
    ],
  );

  it('retained sizes follow the dominator tree, weak edges ignored, nested instances counted once', () => {
    const s = summarizeHeap(before);
    const by = Object.fromEntries(s.classes.map((c) => [c.name, c]));
    expect(by.Foo).toEqual({ name: 'Foo', count: 2, selfBytes: 17, retainedBytes: 10 + 20 + 7 + 3 });
    expect(by.Bar).toEqual({ name: 'Bar', count: 2, selfBytes: 25, retainedBytes: 25 });
    expect(by.Baz?.retainedBytes).toBe(3);
    expect(by.Qux).toBeUndefined();
    expect(s.totalBytes).toBe(45);
  });

  it('growth is sorted by retained size gained', () => {
    const after = snapshot(
      [
        ['synthetic', '', 0],
        ['object', 'Foo', 10],
        ['object', 'Bar', 20],
        ['closure', 'f', 64],
        ['string', 'x', 500],
      ],
      [
        [0, 1],
        [1, 2],
        [0, 3],
        [3, 4],
      ],
    );
    const g = heapGrowth(summarizeHeap(before), summarizeHeap(after));
    expect(g.map((x) => [x.name, x.retainedDelta])).toEqual([
      ['(closure)', 564],
      ['(string)', 500],
      ['Bar', -5],
      ['Foo', -10],
    ]);
    expect(formatHeapGrowth(summarizeHeap(before), summarizeHeap(after), 1)).toContain('(closure)');
  });
});

describe('what a request allocates', () => {
  const node = (fn: string, url: string, selfSize: number, children: SamplingHeapNode[] = []): SamplingHeapNode => ({
    callFrame: frame(fn, url, 4),
    selfSize,
    children,
  });
  // (root) → proxy (dist) 3000 → [writeHead (node:_http_outgoing) 1000, dispatch (undici) 2000]; a sibling idle 0.
  const profile = {
    head: node('(root)', '', 0, [
      node('proxy', 'file:///repo/dist/gateway/handle.js', 3000, [
        node('processHeader', 'node:_http_outgoing', 1000),
        node('dispatch', 'file:///repo/node_modules/undici/lib/pool.js', 2000),
      ]),
      node('(idle)', '', 0),
    ]),
  };

  it('sums every sampled byte (garbage included) per request, by area and by function, largest first', () => {
    const a = allocationPerRequest(profile, 2, ROOT);
    expect(a.bytesPerRequest).toBe(3000);
    expect(a.areas).toEqual([
      { name: 'dist/gateway/handle.js', bytes: 1500 },
      { name: 'undici', bytes: 1000 },
      { name: 'node:_http_outgoing', bytes: 500 },
    ]);
    expect(a.functions[0]).toEqual({ name: 'proxy dist/gateway/handle.js:5', bytes: 1500 });
    expect(a.functions).toHaveLength(3);
  });

  it('prints the total in KiB, then the largest areas and functions', () => {
    const text = formatAllocation('aigw', allocationPerRequest(profile, 1, ROOT), 2);
    expect(text.split('\n')[0]).toBe('aigw: 5.9 KiB allocated per request');
    expect(text).toContain('by area: dist/gateway/handle.js 2.9 KiB, undici 2.0 KiB');
    expect(text).toContain('2.9 KiB  proxy dist/gateway/handle.js:5');
    expect(text).not.toContain('processHeader');
  });
});
