// npm run bench:store — what the memory rate-limit store costs a tenant request (admit + settle), this build
// against another (--baseline DIR, a built checkout such as a git worktree), interleaved rounds in fresh
// processes, medians. A micro-benchmark: it isolates a cost too small to see in requests/s on this machine.
// Usage: node scripts/bench-store.js [--baseline DIR] [--rounds N (7)] [--ops N (500000)]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { median } from './lib/stats.js';

const { values: v } = parseArgs({
  options: { baseline: { type: 'string' }, rounds: { type: 'string', default: '7' }, ops: { type: 'string', default: '500000' } },
});
const here = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const builds = [['this build', here], ...(v.baseline ? [['baseline', v.baseline]] : [])];
const loop = new URL('./lib/store-loop.js', import.meta.url).pathname;
const time = (dir, specs) => Number(execFileSync(process.execPath, [loop, dir, v.ops, String(specs)], { encoding: 'utf8' }));

console.log(`bench:store — memory store, admit + settle, ${v.ops} per run, ${v.rounds} interleaved rounds, medians (ns)`);
for (const specs of [1, 2]) {
  const ns = builds.map(() => []);
  for (let r = 0; r < Number(v.rounds); r++) for (let i = 0; i < builds.length; i++) ns[i].push(time(builds[i][1], specs));
  const m = ns.map(median);
  const what = specs === 1 ? 'tenant-wide limits' : 'tenant and per-model limits';
  const cells = builds.map(([name], i) => `${name} ${m[i].toFixed(0)} ns`).join(', ');
  console.log(`  ${what.padEnd(28)} ${cells}${m.length === 2 ? `  (${(m[0] / m[1]).toFixed(2)}× the baseline)` : ''}`);
}
