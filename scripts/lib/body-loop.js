// One timing of what a request body costs the event loop before it goes upstream, in a fresh process: the parse
// stage (decode, top-level scan, JSON.parse, checks) and the upstream bytes (model renamed, include_usage added),
// over a chat body of about SIZE bytes (1 MiB unless given) in one script. Prints ns per body.
// Usage: node body-loop.js BUILD_DIR BODIES latin|latin1|cyrillic|cjk [SIZE] (latin1: accented, all within Latin-1)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, bodiesArg, script, sizeArg] = process.argv.slice(2);
const load = (f) => import(pathToFileURL(join(dir, 'dist', f)).href);
const { parseProxyRequest } = await load('openai/parse-request.js');
const { upstreamBody } = await load('openai/upstream-body.js');
const FILLER = {
  latin: 'The quick brown fox jumps over the lazy dog. ',
  latin1: 'Déjà été, où ça ? Très bien, garçon. ',
  cyrillic: 'Съешь же ещё этих мягких булок, да выпей чаю. ',
  cjk: '敏捷的棕色狐狸跳过了懒狗。',
};
const size = Number(sizeArg ?? 1 << 20);
const turns = size >= 8192 ? 8 : 1;
if (!FILLER[script]) throw new Error(`no filler for ${script}`);
// Whole fillers by count, then a character at a time: a short body ends near its size whatever the script.
const want = (size - 100) / turns;
let turn = FILLER[script].repeat(Math.max(0, Math.ceil((want - 256) / Buffer.byteLength(FILLER[script]))));
for (const ch = [...FILLER[script]]; Buffer.byteLength(turn) < want; ) turn += ch[turn.length % ch.length];
const messages = Array.from({ length: turns }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `${turn}${i}` }));
const body = Buffer.from(JSON.stringify({ model: 'llama-3-70b', messages, max_tokens: 100, stream: true }));
function one() {
  const r = parseProxyRequest('chat', body, 'application/json');
  if (!r.ok) throw new Error(r.error.message);
  const up = upstreamBody(r.value, '"meta-llama/Llama-3-70B"');
  // An older build returns the text and leaves the encoding to its caller.
  const bytes = up.body ?? Buffer.from(up.text);
  if (bytes.length < body.length) throw new Error('the upstream body lost bytes');
}
const bodies = Number(bodiesArg);
for (let i = 0; i < Math.max(2, bodies / 4); i++) one(); // warm: optimised before it is timed
const t0 = process.hrtime.bigint();
for (let i = 0; i < bodies; i++) one();
console.log(Number(process.hrtime.bigint() - t0) / bodies);
