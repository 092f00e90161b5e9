// npm run bench:soak -- --minutes M — reliability case 40: a steady 200 requests/s (mixed streams and
// bodies) with 5 % upstream faults and 2 % client disconnects; the gateway's RSS and open handles are
// sampled and must stay flat (the last third of the run against the first third).
// Options: --minutes M (0.5) --rps R (200)
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW, arg, median } from './lib/bench-util.js';
import { openFds, rssMiB, startPinned } from './lib/procs.js';

const minutes = Number(arg('minutes', 0.5));
const rps = Number(arg('rps', 200));
const dir = mkdtempSync(join(tmpdir(), 'aigw-soak-'));
const file = join(dir, 'soak.yaml');
const faults = '{ rate: 0.05, seed: 7, kinds: ["status:503", "reset-after:5", "reset-before-headers"] }';
writeFileSync(
  file,
  `version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
timeouts: { idle: 2s }
resilience: { consecutiveFailures: 1000 }
backends:
  flaky: { url: http://127.0.0.1:0, mock: { kind: vllm, ttft: 5ms, tokensPerSecond: 2000, faults: ${faults} } }
models:
  m: { targets: [{ backend: flaky }] }
tenants:
  t: { keys: ["\${SOAK_KEY:-soak-key}"], limits: { tpm: 100000000, rpm: 10000000, concurrency: 100000 } }
`,
);
const mock = await startPinned(0, [AIGW, 'mock-backends', '-c', file]);
const served = file.replace('soak.yaml', 'gw.yaml');
writeFileSync(
  served,
  (await import('node:fs'))
    .readFileSync(file, 'utf8')
    .replace(/url: http:\/\/127\.0\.0\.1:0, mock: \{[^}]*\{[^}]*\}[^}]*\}/, `url: "${mock.urls[0]}"`),
);
const gw = await startPinned(1, [AIGW, 'serve', '-c', served, '--log', 'off'], 2);
const base = gw.urls[0];
const pid = gw.child.pid;

const counts = { ok: 0, error: 0, aborted: 0, failed: 0 };
let n = 0;
function fire() {
  const i = n++;
  const stream = i % 2 === 0;
  const abort = Math.random() < 0.02;
  const req = request(
    `${base}/v1/chat/completions`,
    { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer soak-key' } },
    (res) => {
      res.on('data', () => {});
      res.on('end', () => (res.statusCode === 200 ? counts.ok++ : counts.error++));
      res.on('error', () => counts.failed++);
    },
  );
  req.on('error', () => (abort ? counts.aborted++ : counts.failed++));
  if (abort) setTimeout(() => req.destroy(), 5 + Math.random() * 20);
  req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `soak ${i % 50}` }], max_tokens: 40, stream }));
}

const samples = [];
const durationMs = minutes * 60_000;
const t0 = Date.now();
const tick = setInterval(() => {
  for (let k = 0; k < rps / 20; k++) fire();
}, 50);
const sampler = setInterval(() => samples.push({ t: (Date.now() - t0) / 1000, rss: rssMiB(pid), fds: openFds(pid) }), 2000);
await new Promise((r) => setTimeout(r, durationMs));
clearInterval(tick);
await new Promise((r) => setTimeout(r, 3000));
clearInterval(sampler);
samples.push({ t: (Date.now() - t0) / 1000, rss: rssMiB(pid), fds: openFds(pid) });
gw.stop();
mock.stop();

const third = Math.max(1, Math.floor(samples.length / 3));
const early = samples.slice(0, third);
const late = samples.slice(-third);
const m = (xs, k) => median(xs.map((x) => x[k]));
console.log(
  `\nbench:soak — ${n} requests in ${minutes} min at ${rps}/s: ${counts.ok} ok, ${counts.error} error answers (injected faults), ` +
    `${counts.failed} cut/failed, ${counts.aborted} client disconnects`,
);
const rssGrowth = (m(late, 'rss') - m(early, 'rss')).toFixed(1);
console.log(
  `  RSS    first third ${m(early, 'rss').toFixed(1)} MiB → last third ${m(late, 'rss').toFixed(1)} MiB (growth ${rssGrowth} MiB)`,
);
console.log(`  handles first third ${m(early, 'fds')} → last third ${m(late, 'fds')} (after the load stopped: ${samples.at(-1).fds})`);
console.log(`  samples: ${samples.map((s) => `${s.t.toFixed(0)}s ${s.rss.toFixed(0)}MiB/${s.fds}fd`).join(', ')}`);
