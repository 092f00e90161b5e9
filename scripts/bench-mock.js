// npm run bench:mock — can one mock process keep up? Requests/s for small non-streaming completions at 64
// connections (vs a trivial node:http server, same run, interleaved), and stream throughput in chunks/s.
//   --rounds N (3)  --seconds S (5)  --connections C (64)
import { request } from 'node:http';
import { AIGW, arg, load, median, cpuSeconds } from './lib/bench-util.js';
import { startPinned } from './lib/procs.js';

const rounds = Number(arg('rounds', 3));
const seconds = Number(arg('seconds', 5));
const connections = Number(arg('connections', 64));
const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 16 });

const mock = await startPinned(undefined, [AIGW, 'mock-backends', '--vllm', 'bench=0']);
const trivial = await startPinned(undefined, [new URL('./lib/trivial-server.js', import.meta.url).pathname]);
const mockUrl = `${mock.urls[0]}/v1/chat/completions`;

const results = { mock: [], trivial: [], mockCpuUs: [] };
await load({ url: mockUrl, body, connections, seconds: 1 }); // warm-up
for (let r = 0; r < rounds; r++) {
  const cpu0 = await cpuSeconds(mock.child.pid);
  const m = await load({ url: mockUrl, body, connections, seconds });
  const cpu1 = await cpuSeconds(mock.child.pid);
  const t = await load({ url: trivial.urls[0], body, connections, seconds });
  results.mock.push(m);
  results.trivial.push(t);
  results.mockCpuUs.push(((cpu1 - cpu0) / m.total) * 1e6);
  console.log(`round ${r + 1}: mock ${m.rps.toFixed(0)} req/s (p99 ${m.p99} ms, ${m.errors} errors), trivial ${t.rps.toFixed(0)} req/s`);
}

/** One stream of `tokens` single-token events as fast as possible; events per second at the client. */
function streamRate(tokens) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let events = 0;
    let tail = '';
    const req = request(mockUrl, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d) => {
        const s = tail + d;
        let i = -1;
        while ((i = s.indexOf('\n\n', i + 1)) >= 0) events++;
        tail = s.slice(s.lastIndexOf('\n\n') + 2);
      });
      res.on('end', () => resolve(events / ((performance.now() - t0) / 1000)));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'stream' }], max_tokens: tokens, stream: true }));
  });
}
const streams = [];
for (let r = 0; r < rounds; r++) streams.push(await streamRate(200_000));

mock.stop();
trivial.stop();
const mRps = median(results.mock.map((x) => x.rps));
const tRps = median(results.trivial.map((x) => x.rps));
console.log('\nbench:mock (medians over %d rounds of %ds, %d connections)', rounds, seconds, connections);
const mP50 = median(results.mock.map((x) => x.p50));
const mP99 = median(results.mock.map((x) => x.p99));
const mCpuUs = median(results.mockCpuUs);
console.log(`  mock small completions   ${mRps.toFixed(0)} req/s   p50 ${mP50} ms   p99 ${mP99} ms   ${mCpuUs.toFixed(0)} us CPU/req`);
console.log(`  trivial node:http        ${tRps.toFixed(0)} req/s`);
console.log(`  ratio mock / trivial     ${(mRps / tRps).toFixed(2)}x`);
console.log(`  stream, 1 token/event    ${median(streams).toFixed(0)} chunks/s (one stream, as fast as possible)`);
