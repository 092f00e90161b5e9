// npm run bench:micro — hot-path pieces too small to see in requests/s on this machine, timed alone: this
// build against another (--baseline DIR, a built checkout such as a git worktree), interleaved rounds in
// fresh processes, medians.
//   store: the memory rate-limit store's admit + settle of one tenant request (ns)
//   relay: the SSE relay's fast path over one OpenAI stream of 23 events (ns per stream), also with OpenAI's
//   `"usage":null` in every chunk, with the `"obfuscation"` member OpenAI's chunks end with after it, and with
//   29 characters of text a chunk (every event's text measured, as in bench:overhead's streams)
//   body: parse + upstream bytes of a 1 MiB, a 16 KiB, a 256- and a 400-byte chat body, per script (ns per body)
// Usage: node scripts/bench-micro.js [--baseline DIR] [--rounds N (7)] [--only store|relay|body]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { median } from './lib/stats.js';

const { values: v } = parseArgs({
  options: {
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '7' },
    only: { type: 'string' },
    // Scales every case's loop (tests run it small).
    scale: { type: 'string', default: '1' },
  },
});
const here = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const builds = [['this build', here], ...(v.baseline ? [['baseline', v.baseline]] : [])];
const lib = (f) => new URL(`./lib/${f}`, import.meta.url).pathname;
const n = (x) => String(Math.max(1, Math.round(x * Number(v.scale))));
const CASES = [
  ['store', 'admit + settle, tenant-wide limits', 'store-loop.js', () => [n(500_000), '1']],
  ['store', 'admit + settle, tenant and per-model limits', 'store-loop.js', () => [n(500_000), '2']],
  ['relay', 'relay a stream, one event per read', 'relay-loop.js', () => [n(100_000), '1']],
  ['relay', 'relay a stream, four events per read', 'relay-loop.js', () => [n(100_000), '4']],
  ['relay', 'the same, `"usage":null` in each chunk (OpenAI)', 'relay-loop.js', () => [n(100_000), '1', 'null-usage']],
  ['relay', 'the same, and `"obfuscation"` after it (OpenAI, 2026)', 'relay-loop.js', () => [n(100_000), '1', 'obfuscation']],
  ['relay', "29 characters of text a chunk (bench:overhead's timestamps)", 'relay-loop.js', () => [n(100_000), '1', 'batched']],
  ['body', 'parse + upstream bytes, 1 MiB, Latin', 'body-loop.js', () => [n(200), 'latin']],
  ['body', 'parse + upstream bytes, 1 MiB, French in Latin-1', 'body-loop.js', () => [n(200), 'latin1']],
  ['body', 'parse + upstream bytes, 1 MiB, Cyrillic', 'body-loop.js', () => [n(200), 'cyrillic']],
  ['body', 'parse + upstream bytes, 1 MiB, CJK', 'body-loop.js', () => [n(200), 'cjk']],
  ['body', 'parse + upstream bytes, 16 KiB, Cyrillic', 'body-loop.js', () => [n(10_000), 'cyrillic', '16384']],
  ['body', 'parse + upstream bytes, 256 B, Latin', 'body-loop.js', () => [n(200_000), 'latin', '256']],
  ['body', 'parse + upstream bytes, 256 B, French in Latin-1', 'body-loop.js', () => [n(200_000), 'latin1', '256']],
  ['body', 'parse + upstream bytes, 256 B, Cyrillic', 'body-loop.js', () => [n(200_000), 'cyrillic', '256']],
  ['body', 'parse + upstream bytes, 400 B, Cyrillic', 'body-loop.js', () => [n(200_000), 'cyrillic', '400']],
];

console.log(`bench:micro — ${v.rounds} interleaved rounds in fresh processes, medians`);
for (const [group, what, script, args] of CASES) {
  if (v.only && v.only !== group) continue;
  const ns = builds.map(() => []);
  for (let r = 0; r < Number(v.rounds); r++)
    for (let i = 0; i < builds.length; i++)
      ns[i].push(Number(execFileSync(process.execPath, [lib(script), builds[i][1], ...args()], { encoding: 'utf8' })));
  const m = ns.map(median);
  const cells = builds.map(([name], i) => `${name} ${m[i].toFixed(0)} ns`).join(', ');
  console.log(`  ${what.padEnd(46)} ${cells}${m.length === 2 ? `  (${(m[0] / m[1]).toFixed(2)}× the baseline)` : ''}`);
}
