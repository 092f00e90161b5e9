// One timing of the SSE relay's fast path, in a fresh process: an OpenAI stream of 21 content chunks, a usage
// chunk (withheld: aigw asked for it) and [DONE], read one event per read or four. Prints ns per stream.
// `null-usage`: each content chunk carries `"usage":null`, as OpenAI's do in a stream that asked for usage;
// `obfuscation`: and after it the `"obfuscation"` member OpenAI's chunks end with since 2026 (a few random characters);
// `batched`: each chunk carries 29 characters of text, as bench-upstream.js's timestamps do (or a backend that batches
// ~7 tokens a chunk), so that the relay measures every event's text for its output estimate.
// Usage: node relay-loop.js BUILD_DIR STREAMS EVENTS_PER_READ [null-usage|obfuscation|batched]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, streamsArg, perArg, shape] = process.argv.slice(2);
const nullUsage = shape === 'null-usage' ? ',"usage":null' : shape === 'obfuscation' ? ',"usage":null,"obfuscation":"Zx8q"' : '';
const { SseRelay } = await import(pathToFileURL(join(dir, 'dist/relay/sse-relay.js')).href);
const head = '{"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1764570000,"model":"bench-up"';
const text = (i) => (shape === 'batched' ? `@${1e12 + i},${1e12 + i + 40};` : ` word${i}`);
const events = Array.from(
  { length: 21 },
  (_, i) => `data: ${head},"choices":[{"index":0,"delta":{"content":"${text(i)}"},"logprobs":null,"finish_reason":null}]${nullUsage}}\n\n`,
);
events.push(`data: ${head},"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":21,"total_tokens":33}}\n\n`, 'data: [DONE]\n\n');
const per = Number(perArg);
const reads = [];
for (let i = 0; i < events.length; i += per) reads.push(Buffer.from(events.slice(i, i + per).join('')));
const out = { write() {}, record: { answerNotes: undefined, responseModel: undefined } };
function one() {
  const relay = new SseRelay(out, true, () => {}, 1 << 20);
  for (const r of reads) relay.push(r);
  if (!relay.sawDone || relay.outputEvents !== 21) throw new Error('the relay misread the stream');
}
const streams = Number(streamsArg);
for (let i = 0; i < streams / 4; i++) one(); // warm: optimised before it is timed
const t0 = process.hrtime.bigint();
for (let i = 0; i < streams; i++) one();
console.log(Number(process.hrtime.bigint() - t0) / streams);
