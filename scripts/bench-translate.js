// node scripts/bench-translate.js (after npm run build) — what translating between the OpenAI and Anthropic APIs costs, from one run: the
// same mocks, the same stream length, pass-through and translated side by side (interleaved, medians over
// rounds). For each direction, the added time to first token and the gateway's added CPU per streamed event:
//   openai    → vLLM mock       (pass-through)  vs  anthropic → vLLM mock       (Messages translated to chat)
//   anthropic → Anthropic mock  (pass-through)  vs  openai    → Anthropic mock  (chat translated to Messages)
// The mocks run in their own process, so the gateway's CPU (from /proc) is its own.
//   --rounds N (5)  --streams S (20, per mode and round)  --tokens L (1000, one event each)  --json FILE
import { writeFileSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW, arg, cpuSeconds, median } from './lib/bench-util.js';
import { freePort, startPinned } from './lib/procs.js';

const rounds = Number(arg('rounds', 5));
const streams = Number(arg('streams', 20));
const tokens = Number(arg('tokens', 1000));
const jsonOut = arg('json', undefined);

const [vllmPort, claudePort] = [await freePort(), await freePort()];
const profile = join(mkdtempSync(join(tmpdir(), 'aigw-bench-translate-')), 'profile.yaml');
writeFileSync(
  profile,
  `version: 1
backends:
  vllm: { url: http://127.0.0.1:${vllmPort}, mock: { kind: vllm } }
  claude: { url: http://127.0.0.1:${claudePort}, kind: anthropic, apiKey: bench-key, mock: { kind: anthropic } }
models:
  llama: { targets: [{ backend: vllm }] }
  claude: { targets: [{ backend: claude }] }
`,
);

const mocks = await startPinned(undefined, [AIGW, 'mock-backends', '-c', profile], 2);
const gateway = await startPinned(
  undefined,
  [AIGW, 'serve', '-c', profile, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'],
  2,
);
const gw = gateway.urls[0];
const pid = gateway.child.pid;

const MODES = [
  { name: 'openai → vLLM (pass-through)', pair: 'to vLLM', translated: false, path: '/v1/chat/completions', model: 'llama' },
  { name: 'anthropic → vLLM (translated)', pair: 'to vLLM', translated: true, path: '/v1/messages', model: 'llama' },
  { name: 'anthropic → Anthropic (pass-through)', pair: 'to Anthropic', translated: false, path: '/v1/messages', model: 'claude' },
  { name: 'openai → Anthropic (translated)', pair: 'to Anthropic', translated: true, path: '/v1/chat/completions', model: 'claude' },
];

/** One stream: the time to its first content event, and how many content events came. */
function oneStream(mode) {
  const body = JSON.stringify({
    model: mode.model,
    max_tokens: tokens,
    stream: true,
    messages: [{ role: 'user', content: 'translate me [[mock ttft=0ms tps=0 chunk=1]]' }],
  });
  const marker = mode.path === '/v1/messages' ? 'event: content_block_delta' : '"content":"';
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttft;
    let events = 0;
    let tail = '';
    const req = request(`${gw}${mode.path}`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${mode.name}: HTTP ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (d) => {
        const s = tail + d;
        let start = 0;
        for (let end = s.indexOf('\n\n'); end >= 0; end = s.indexOf('\n\n', start)) {
          const ev = s.slice(start, end);
          start = end + 2;
          if (ev.includes(marker) && !ev.includes('"content":""')) {
            events++;
            ttft ??= performance.now() - t0;
          }
        }
        tail = s.slice(start);
      });
      res.on('end', () => resolve({ ttft, events }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const results = Object.fromEntries(MODES.map((m) => [m.name, { ttft: [], cpuPerEvent: [] }]));
for (const m of MODES) for (let i = 0; i < 3; i++) await oneStream(m); // warm-up (JIT, connections)
for (let r = 0; r < rounds; r++) {
  for (const m of MODES) {
    const cpu0 = await cpuSeconds(pid);
    let events = 0;
    for (let i = 0; i < streams; i++) {
      const s = await oneStream(m);
      events += s.events;
      if (s.ttft !== undefined) results[m.name].ttft.push(s.ttft);
    }
    const cpu1 = await cpuSeconds(pid);
    results[m.name].cpuPerEvent.push(((cpu1 - cpu0) / Math.max(1, events)) * 1e6);
  }
  console.log(`round ${r + 1}/${rounds} done`);
}
mocks.stop();
gateway.stop();

const rows = MODES.map((m) => ({
  mode: m.name,
  pair: m.pair,
  translated: m.translated,
  ttftMsP50: median(results[m.name].ttft),
  cpuUsPerEvent: median(results[m.name].cpuPerEvent),
}));
const signed = (x, d) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
const added = ['to vLLM', 'to Anthropic'].map((pair) => {
  const base = rows.find((x) => x.pair === pair && !x.translated);
  const tr = rows.find((x) => x.pair === pair && x.translated);
  return { pair, addedTtftMs: tr.ttftMsP50 - base.ttftMsP50, addedCpuUsPerEvent: tr.cpuUsPerEvent - base.cpuUsPerEvent };
});

console.log(`\nbench:translate — ${streams} streams × ${tokens} events per mode and round, medians over ${rounds} rounds`);
console.log('mode'.padEnd(40), 'TTFT p50'.padStart(10), 'CPU/event'.padStart(12));
for (const r of rows)
  console.log(r.mode.padEnd(40), `${r.ttftMsP50.toFixed(2)} ms`.padStart(10), `${r.cpuUsPerEvent.toFixed(2)} µs`.padStart(12));
for (const a of added)
  console.log(
    `translation ${a.pair}: ${signed(a.addedTtftMs, 2)} ms TTFT, ${signed(a.addedCpuUsPerEvent, 2)} µs gateway CPU per event (vs pass-through)`,
  );
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ rounds, streams, tokens, rows, added }, null, 2)}\n`);
