// Reads a V8 sampling heap profile taken with garbage included (gateway-probe.js `alloc-start`/`alloc-stop`) and
// says what a request allocates: bytes per request in all, by area (this repo's files, each npm package, Node's
// internals) and by allocating function. Allocation is the steadiest per-request figure a virtualised machine
// gives (sampled, not timed); what it costs is paid in scavenges and in cache misses on fresh memory.
import { areaOf } from './cpuprofile-top.js';

/** Bytes per request in all, by area and by function (largest first), over `requests`. */
export function allocationPerRequest(profile, requests, root) {
  const byFunction = new Map();
  const byArea = new Map();
  let total = 0;
  const stack = [profile.head];
  while (stack.length) {
    const node = stack.pop();
    for (const c of node.children ?? []) stack.push(c);
    const size = node.selfSize ?? 0;
    if (size === 0) continue;
    total += size;
    const f = node.callFrame;
    const area = areaOf(f.url, f.functionName, root);
    const name = `${f.functionName || '(anonymous)'} ${area}:${f.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + size);
    byArea.set(area, (byArea.get(area) ?? 0) + size);
  }
  const per = (m) => [...m].map(([name, bytes]) => ({ name, bytes: bytes / requests })).sort((a, b) => b.bytes - a.bytes);
  return { bytesPerRequest: total / requests, areas: per(byArea), functions: per(byFunction) };
}

/** A few lines: the total, then the largest areas and functions. */
export function formatAllocation(label, a, top = 8, what = 'allocated') {
  const kb = (b) => `${(b / 1024).toFixed(what === 'allocated' ? 1 : 2)} KiB`;
  const lines = [`${label}: ${kb(a.bytesPerRequest)} ${what} per request`];
  lines.push(
    `  by area: ${a.areas
      .slice(0, top)
      .map((x) => `${x.name} ${kb(x.bytes)}`)
      .join(', ')}`,
  );
  for (const f of a.functions.slice(0, top)) lines.push(`  ${kb(f.bytes).padStart(9)}  ${f.name}`);
  return lines.join('\n');
}
