// Compares two V8 heap snapshots by constructor: instance count, shallow size and retained size (dominator tree,
// weak edges ignored, an instance nested under another of its class counted once — DevTools' Summary view), so
// what grew under load has a name. CLI: node scripts/lib/heap-diff.js BEFORE.heapsnapshot AFTER.heapsnapshot [--top N]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function className(type, name) {
  switch (type) {
    case 'synthetic':
      return undefined; // the roots: they retain everything
    case 'object':
    case 'native':
      return name;
    case 'closure':
      return '(closure)';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'code':
      return '(compiled code)';
    case 'hidden':
      return '(system)';
    default:
      return `(${type})`;
  }
}

/** Per constructor: { count, selfBytes, retainedBytes }, plus the reachable heap's total, from a parsed snapshot. */
export function summarizeHeap(snap) {
  const meta = snap.snapshot.meta;
  const NF = meta.node_fields.length;
  const EF = meta.edge_fields.length;
  const [fType, fName, fSelf, fEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f));
  const [eType, eTo] = ['type', 'to_node'].map((f) => meta.edge_fields.indexOf(f));
  const nodeTypes = meta.node_types[fType];
  const weak = meta.edge_types[eType].indexOf('weak');
  const { nodes, edges, strings } = snap;
  const N = nodes.length / NF;

  const firstEdge = new Uint32Array(N + 1);
  for (let i = 0; i < N; i++) firstEdge[i + 1] = firstEdge[i] + nodes[i * NF + fEdges];
  const target = (e) => edges[e * EF + eTo] / NF;
  const strong = (e) => edges[e * EF + eType] !== weak;

  // Predecessors over strong edges (CSR).
  const predStart = new Uint32Array(N + 1);
  for (let e = 0; e < firstEdge[N]; e++) if (strong(e)) predStart[target(e) + 1]++;
  for (let i = 0; i < N; i++) predStart[i + 1] += predStart[i];
  const preds = new Uint32Array(predStart[N]);
  const fill = predStart.slice(0, N);
  for (let v = 0; v < N; v++) for (let e = firstEdge[v]; e < firstEdge[v + 1]; e++) if (strong(e)) preds[fill[target(e)]++] = v;

  // Post-order from the root (node 0), iteratively.
  const po = new Int32Array(N).fill(-1);
  const order = new Uint32Array(N);
  const seen = new Uint8Array(N);
  const stack = new Uint32Array(N);
  const next = new Uint32Array(N);
  let sp = 0;
  let count = 0;
  stack[sp++] = 0;
  seen[0] = 1;
  next[0] = firstEdge[0];
  while (sp) {
    const v = stack[sp - 1];
    let pushed = false;
    while (next[v] < firstEdge[v + 1]) {
      const e = next[v]++;
      const w = target(e);
      if (!strong(e) || seen[w]) continue;
      seen[w] = 1;
      next[w] = firstEdge[w];
      stack[sp++] = w;
      pushed = true;
      break;
    }
    if (!pushed) {
      sp--;
      po[v] = count;
      order[count++] = v;
    }
  }

  // Immediate dominators (Cooper, Harvey, Kennedy), in reverse post-order until stable.
  const idom = new Int32Array(N).fill(-1);
  idom[0] = 0;
  const intersect = (a, b) => {
    while (a !== b) {
      while (po[a] < po[b]) a = idom[a];
      while (po[b] < po[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = count - 2; k >= 0; k--) {
      const v = order[k];
      let d = -1;
      for (let p = predStart[v]; p < predStart[v + 1]; p++) {
        const u = preds[p];
        if (idom[u] === -1) continue;
        d = d === -1 ? u : intersect(u, d);
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }

  // Retained sizes: a dominator comes after everything it dominates in post-order.
  const retained = new Float64Array(N);
  for (let k = 0; k < count; k++) retained[order[k]] += nodes[order[k] * NF + fSelf];
  for (let k = 0; k < count - 1; k++) retained[idom[order[k]]] += retained[order[k]];

  const classIds = new Map();
  const cls = new Int32Array(N);
  const out = [];
  let total = 0;
  for (let k = 0; k < count; k++) {
    const v = order[k];
    const name = className(nodeTypes[nodes[v * NF + fType]], strings[nodes[v * NF + fName]]);
    cls[v] = -1;
    if (name === undefined) continue;
    let c = classIds.get(name);
    if (c === undefined) {
      c = out.length;
      classIds.set(name, c);
      out.push({ name, count: 0, selfBytes: 0, retainedBytes: 0 });
    }
    cls[v] = c;
    out[c].count++;
    out[c].selfBytes += nodes[v * NF + fSelf];
    total += nodes[v * NF + fSelf];
  }

  // A class's retained size: its instances' retained sizes, skipping those under another instance of the class.
  const childStart = new Uint32Array(N + 1);
  for (let k = 0; k < count - 1; k++) childStart[idom[order[k]] + 1]++;
  for (let i = 0; i < N; i++) childStart[i + 1] += childStart[i];
  const kids = new Uint32Array(childStart[N]);
  const kfill = childStart.slice(0, N);
  for (let k = 0; k < count - 1; k++) kids[kfill[idom[order[k]]]++] = order[k];
  const openOf = new Int32Array(out.length);
  sp = 0;
  stack[sp++] = 0;
  next[0] = childStart[0];
  while (sp) {
    const v = stack[sp - 1];
    if (next[v] < childStart[v + 1]) {
      const w = kids[next[v]++];
      const c = cls[w];
      if (c >= 0 && openOf[c]++ === 0) out[c].retainedBytes += retained[w];
      next[w] = childStart[w];
      stack[sp++] = w;
    } else {
      sp--;
      if (cls[v] >= 0) openOf[cls[v]]--;
    }
  }
  return { totalBytes: total, nodes: count, classes: out };
}

/** Constructors whose retained size grew most from `before` to `after` (summaries from summarizeHeap). */
export function heapGrowth(before, after) {
  const b = new Map(before.classes.map((c) => [c.name, c]));
  const zero = { count: 0, selfBytes: 0, retainedBytes: 0 };
  return after.classes
    .map((a) => {
      const o = b.get(a.name) ?? zero;
      return {
        name: a.name,
        count: [o.count, a.count],
        selfBytes: [o.selfBytes, a.selfBytes],
        retainedBytes: [o.retainedBytes, a.retainedBytes],
        retainedDelta: a.retainedBytes - o.retainedBytes,
      };
    })
    .sort((x, y) => y.retainedDelta - x.retainedDelta);
}

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

export function formatHeapGrowth(before, after, top = 15) {
  const lines = [
    `reachable heap ${kib(before.totalBytes)} → ${kib(after.totalBytes)} (${before.nodes} → ${after.nodes} objects); ` +
      'biggest retained growth by constructor:',
    '  retained Δ      retained before → after        count before → after   constructor',
  ];
  for (const g of heapGrowth(before, after).slice(0, top)) {
    const d = `${g.retainedDelta >= 0 ? '+' : ''}${kib(g.retainedDelta)}`.padStart(12);
    const r = `${kib(g.retainedBytes[0])} → ${kib(g.retainedBytes[1])}`.padStart(28);
    const c = `${g.count[0]} → ${g.count[1]}`.padStart(22);
    lines.push(`  ${d}  ${r}  ${c}   ${g.name.slice(0, 60)}`);
  }
  return lines.join('\n');
}

export const readSnapshot = (file) => summarizeHeap(JSON.parse(readFileSync(file, 'utf8')));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) {
    console.error('usage: node scripts/lib/heap-diff.js BEFORE.heapsnapshot AFTER.heapsnapshot [--top N]');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  console.log(formatHeapGrowth(readSnapshot(a), readSnapshot(b), i > 0 ? Number(process.argv[i + 1]) : 15));
}
