// npm run bench:limits — what auth + limits cost on the hot path, and how exact the limits are.
//   overhead: the same closed loop through aigw without tenants, with a tenant (memory store), and with a
//     tenant on a shared Redis store; interleaved rounds, medians; aigw pinned to CPU 1.
//   accuracy: a tenant driven above its TPM for several windows, through 1 replica and through 3 replicas
//     sharing Redis; admitted tokens per window vs the limit (the window is shortened to 5 s; the
//     algorithm is the same at 60 s).
// Options: --rounds N (5) --seconds S (4) --connections C (50) --windows W (4)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW, arg, cpuSeconds, median } from './lib/bench-util.js';
import { closedLoop } from './lib/load.js';
import { startPinned, startRedis } from './lib/procs.js';

const rounds = Number(arg('rounds', 5));
const seconds = Number(arg('seconds', 4));
const connections = Number(arg('connections', 50));
const windows = Number(arg('windows', 4));
const dir = mkdtempSync(join(tmpdir(), 'aigw-limits-'));
const lib = (f) => new URL(`./lib/${f}`, import.meta.url).pathname;

const trivial = await startPinned(0, [lib('trivial-server.js')]);
const redis = await startRedis();
if (!redis) console.log('redis-server is not installed: the Redis variants are skipped');

function profile(name, { tenants, store, window = '60s', mock = false }) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
limits:
  rateWindow: ${window}
${store ? `  store: { redis: "${redis.url}", prefix: ${name}, replicas: 3 }\n` : ''}backends:
  up: { url: "${mock ? 'http://127.0.0.1:0' : trivial.urls[0]}"${mock ? ', mock: { kind: vllm }' : ''} }
models:
  bench: { targets: [{ backend: up, model: bench-up }] }
${tenants ? `tenants:\n  t: { keys: [bench-key], limits: ${tenants} }\n` : ''}`,
  );
  return file;
}

const variants = {
  'no tenant': await startPinned(1, [AIGW, 'serve', '-c', profile('open', {}), '--log', 'off'], 2),
  'tenant, memory': await startPinned(
    1,
    [AIGW, 'serve', '-c', profile('mem', { tenants: '{ tpm: 1000000000, rpm: 1000000000, concurrency: 100000 }' }), '--log', 'off'],
    2,
  ),
};
if (redis)
  variants['tenant, redis'] = await startPinned(
    1,
    [
      AIGW,
      'serve',
      '-c',
      profile('red', { tenants: '{ tpm: 1000000000, rpm: 1000000000, concurrency: 100000 }', store: true }),
      '--log',
      'off',
    ],
    2,
  );

const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 4 });
const names = Object.keys(variants);
const results = Object.fromEntries(names.map((n) => [n, []]));
const headers = { authorization: 'Bearer bench-key' };
async function run(name, secs) {
  const v = variants[name];
  const c0 = await cpuSeconds(v.child.pid);
  const r = await closedLoop({ url: `${v.urls[0]}/v1/chat/completions`, body, connections, seconds: secs, headers });
  const c1 = await cpuSeconds(v.child.pid);
  return { ...r, cpuUs: ((c1 - c0) / r.total) * 1e6 };
}
for (const n of names) await run(n, 1);
for (let r = 0; r < rounds; r++) {
  for (const n of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) results[n].push(await run(n, seconds));
  console.log(`round ${r + 1}/${rounds}: ${names.map((n) => `${n} ${results[n].at(-1).rps.toFixed(0)} req/s`).join(', ')}`);
}
for (const v of Object.values(variants)) v.stop();

// Accuracy: drive one tenant above its TPM through 1 or 3 replicas.
const TPM = 6000;
const WINDOW_MS = 5000;
function chat(base) {
  return new Promise((resolve) => {
    const req = request(
      `${base}/v1/chat/completions`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key', 'x-mock-ttft': '0ms', 'x-mock-tps': '0' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, tokens: res.statusCode === 200 ? JSON.parse(text).usage.total_tokens : 0 }));
      },
    );
    req.on('error', () => resolve({ status: 0, tokens: 0 }));
    req.end(JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'how many tokens' }], max_tokens: 100 }));
  });
}
async function accuracy(replicas, store) {
  const file = profile(`acc${replicas}`, { tenants: `{ tpm: ${TPM} }`, store, window: `${WINDOW_MS}ms`, mock: true });
  // serve --mocks prints the mock's ready line first, then the gateway's: urls[1] is the gateway.
  const gws = [];
  for (let i = 0; i < replicas; i++) gws.push(await startPinned(1, [AIGW, 'serve', '-c', file, '--mocks', '--log', 'off'], 3));
  const start = Date.now();
  const perWindow = new Array(windows).fill(0);
  let refused = 0;
  await Promise.all(
    gws.flatMap((g) =>
      Array.from({ length: 8 }, async () => {
        while (Date.now() - start < windows * WINDOW_MS) {
          const w = Math.floor((Date.now() - start) / WINDOW_MS);
          const r = await chat(g.urls[1]);
          if (r.status === 200) perWindow[w] += r.tokens;
          else {
            refused++;
            await new Promise((res) => setTimeout(res, 10));
          }
        }
      }),
    ),
  );
  for (const g of gws) g.stop();
  return { perWindow, refused };
}
const one = await accuracy(1, false);
const three = redis ? await accuracy(3, true) : undefined;
redis?.stop();
trivial.stop();

const med = (n, k) => median(results[n].map((x) => x[k]));
console.log(`\nbench:limits — overhead, medians over ${rounds} rounds of ${seconds}s at ${connections} connections`);
for (const n of names) {
  const ratio = (med(n, 'rps') / med('no tenant', 'rps')).toFixed(2);
  const latency = `p50 ${med(n, 'p50').toFixed(2)} ms  p99 ${med(n, 'p99').toFixed(2)} ms`;
  console.log(
    `  ${n.padEnd(16)} ${med(n, 'rps').toFixed(0).padStart(7)} req/s  ${ratio}x  ${latency}  CPU ${med(n, 'cpuUs').toFixed(0)} us/req`,
  );
}
const show = (label, r) => {
  const steady = r.perWindow.slice(1);
  const steadyPercents = steady.map((x) => `${((100 * x) / TPM).toFixed(1)}%`).join(', ');
  console.log(
    `  ${label}: admitted tokens per ${WINDOW_MS / 1000}s window ${r.perWindow.join(', ')} (limit ${TPM}); ` +
      `steady windows at ${steadyPercents} of the limit; ${r.refused} requests refused`,
  );
};
console.log(`\naccuracy — one tenant at ${TPM} tokens per window, driven above it for ${windows} windows:`);
show('1 replica, memory store', one);
if (three) show('3 replicas, Redis store', three);
