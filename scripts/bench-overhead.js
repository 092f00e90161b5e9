// npm run bench:overhead — what aigw costs, as ratios measured in one run:
//   throughput: the same closed loop (small non-streaming completions) sent straight to a trivial upstream,
//     through a bare 30-line node:http + undici proxy, and through aigw, interleaved, several rounds (medians);
//     gateway CPU per request from /proc/PID/stat. The upstream and the load generator share CPU 0; each
//     proxy runs alone on CPU 1 (taskset), as in the reference measurements.
//   latency: the same with 1 connection (added p50/p99).
//   streaming: time to first byte and total time of short streams, direct vs through each proxy.
//   memory: 10 clients x 2 sequential 20 MB non-streamed answers through aigw (passthrough): RSS growth.
// Options: --rounds N (5) --seconds S (5) --connections C (50) --skip-memory
import { request } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW, arg, cpuSeconds, median } from './lib/bench-util.js';
import { startPinned } from './lib/procs.js';
import { closedLoop, hasTaskset, hasWrk } from './lib/load.js';

const rounds = Number(arg('rounds', 5));
const seconds = Number(arg('seconds', 5));
const connections = Number(arg('connections', 50));
const skipMemory = process.argv.includes('--skip-memory');
const lib = (f) => new URL(`./lib/${f}`, import.meta.url).pathname;
const start = startPinned;

const trivial = await start(0, [lib('trivial-server.js')]);
const mock = await start(0, [AIGW, 'mock-backends', '--vllm', 'mock=0']);
const bare = await start(1, [lib('bare-proxy.js'), trivial.urls[0]]);
const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-'));
const profile = join(dir, 'bench.yaml');
writeFileSync(
  profile,
  `version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
backends:
  trivial: { url: "${trivial.urls[0]}" }
  mock: { url: "${mock.urls[0]}" }
models:
  bench: { targets: [{ backend: trivial, model: bench-up }] }
  mock: { targets: [{ backend: mock }] }
`,
);
const aigw = await start(1, [AIGW, 'serve', '-c', profile, '--log', 'off'], 2);
// The same gateway without the admin surface (no metrics, stats or event stream): what observability costs.
const bareProfile = join(dir, 'bench-noadmin.yaml');
writeFileSync(bareProfile, readFileSync(profile, 'utf8').replace('admin: { listen: 127.0.0.1:0 }', 'admin: { enabled: false }'));
const aigwNoAdmin = await start(1, [AIGW, 'serve', '-c', bareProfile, '--log', 'off'], 1);
const bareStream = await start(1, [lib('bare-proxy.js'), mock.urls[0]]);

const path = '/v1/chat/completions';
const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 4 });
const targets = { direct: trivial.urls[0], bare: bare.urls[0], aigw: aigw.urls[0], 'aigw-noobs': aigwNoAdmin.urls[0] };
const pids = { bare: bare.child.pid, aigw: aigw.child.pid, 'aigw-noobs': aigwNoAdmin.child.pid };

async function roundOf(name, conns, secs) {
  const pid = pids[name];
  const c0 = pid ? await cpuSeconds(pid) : 0;
  const r = await closedLoop({ url: targets[name] + path, body, connections: conns, seconds: secs });
  const c1 = pid ? await cpuSeconds(pid) : 0;
  return { ...r, cpuUs: pid ? ((c1 - c0) / r.total) * 1e6 : undefined };
}

const loadGenerator = hasWrk ? 'wrk' : 'autocannon (install wrk for lower client overhead)';
const pinning = hasTaskset ? 'taskset (upstream+load on CPU 0, proxy on CPU 1)' : 'none';
console.log(`load generator: ${loadGenerator}; pinning: ${pinning}`);
for (const name of Object.keys(targets)) await roundOf(name, connections, 1); // warm-up

const results = { direct: [], bare: [], aigw: [], 'aigw-noobs': [] };
const order = Object.keys(targets);
for (let r = 0; r < rounds; r++) {
  for (const name of [...order.slice(r % order.length), ...order.slice(0, r % order.length)])
    results[name].push(await roundOf(name, connections, seconds));
  const line = order.map((n) => `${n} ${results[n].at(-1).rps.toFixed(0)}`).join('  ');
  console.log(`round ${r + 1}/${rounds}: req/s ${line}`);
}
const lat = { direct: [], bare: [], aigw: [] };
for (let r = 0; r < Math.max(3, Math.ceil(rounds / 2)); r++)
  for (const name of Object.keys(lat)) lat[name].push(await roundOf(name, 1, Math.max(2, Math.ceil(seconds / 2))));

/** Time to first byte and total time of one short stream. */
function streamOnce(base) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first;
    const req = request(base + path, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.on('data', () => (first ??= performance.now() - t0));
      res.on('end', () => resolve({ ttfb: first, total: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'stream' }], max_tokens: 32, stream: true }));
  });
}
const streams = { direct: [], bare: [], aigw: [] };
const streamTargets = { direct: mock.urls[0], bare: bareStream.urls[0], aigw: aigw.urls[0] };
for (let i = 0; i < 300; i++) for (const name of Object.keys(streams)) streams[name].push(await streamOnce(streamTargets[name]));

function rss(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}
async function memoryRun(base, pid) {
  const before = rss(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss(pid))), 20);
  const big = JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'a 20 MB answer' }], max_tokens: 3_800_000 });
  let bytes = 0;
  const fetchBig = () =>
    new Promise((resolve, reject) => {
      const req = request(base + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mock-ttft': '0ms' } }, (res) => {
        res.on('data', (d) => (bytes += d.length));
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(big);
    });
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      await fetchBig();
      await fetchBig();
    }),
  );
  clearInterval(timer);
  return { growthMiB: (peak - before) / 2 ** 20, answerMiB: bytes / 20 / 2 ** 20 };
}
const memory = skipMemory
  ? undefined
  : { aigw: await memoryRun(aigw.urls[0], aigw.child.pid), bare: await memoryRun(bareStream.urls[0], bareStream.child.pid) };

for (const p of [trivial, mock, bare, aigw, aigwNoAdmin, bareStream]) p.stop();

const med = (name, key, src = results) => median(src[name].map((x) => x[key]));
const f = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
console.log(`\nbench:overhead — medians over ${rounds} rounds of ${seconds}s at ${connections} connections`);
console.log('               req/s   ratio   p50 ms  p99 ms  CPU us/req');
for (const name of order) {
  const rps = f(med(name, 'rps')).padStart(7);
  const ratio = f(med(name, 'rps') / med('direct', 'rps'), 2).padStart(5);
  const p50 = f(med(name, 'p50'), 2).padStart(6);
  const p99 = f(med(name, 'p99'), 2).padStart(6);
  console.log(`  ${name.padEnd(10)} ${rps}   ${ratio}x  ${p50}  ${p99}  ${f(med(name, 'cpuUs')).padStart(6)}`);
}
const aigwVsBare = med('aigw', 'rps') / med('bare', 'rps');
console.log(
  `  aigw / bare proxy: ${aigwVsBare.toFixed(2)}x requests/s (target >= 0.90), aigw CPU ${f(med('aigw', 'cpuUs'))} us/req (target <= 85)`,
);
const observeRatio = (med('aigw', 'rps') / med('aigw-noobs', 'rps')).toFixed(2);
const observeCpu = f(med('aigw', 'cpuUs') - med('aigw-noobs', 'cpuUs'));
console.log(`  metrics + stats + events on vs off: ${observeRatio}x requests/s, ${observeCpu} us/req of CPU`);
const addP50 = med('aigw', 'p50', lat) - med('direct', 'p50', lat);
const addP99 = med('aigw', 'p99', lat) - med('direct', 'p99', lat);
const bareAddP50 = med('bare', 'p50', lat) - med('direct', 'p50', lat);
console.log(
  `\nunloaded (1 connection): added latency p50 ${addP50.toFixed(3)} ms (target <= 0.35), p99 ${addP99.toFixed(3)} ms (target <= 1.5); ` +
    `bare proxy adds p50 ${bareAddP50.toFixed(3)} ms`,
);
const ttfb = (n) => median(streams[n].map((s) => s.ttfb));
const total = (n) => median(streams[n].map((s) => s.total));
const ttfbPart =
  `TTFB direct ${ttfb('direct').toFixed(3)} ms, bare +${(ttfb('bare') - ttfb('direct')).toFixed(3)} ms, ` +
  `aigw +${(ttfb('aigw') - ttfb('direct')).toFixed(3)} ms (target <= 0.5)`;
const totalPart = `total direct ${total('direct').toFixed(2)} ms, aigw +${(total('aigw') - total('direct')).toFixed(3)} ms`;
console.log(`\nstreaming (300 x 32-token streams, sequential): ${ttfbPart}; ${totalPart}`);
if (memory) {
  console.log(
    `\nmemory (10 clients x 2 sequential ${memory.aigw.answerMiB.toFixed(1)} MiB answers, passthrough): ` +
      `aigw RSS +${memory.aigw.growthMiB.toFixed(1)} MiB (target < 32), bare proxy +${memory.bare.growthMiB.toFixed(1)} MiB`,
  );
}
