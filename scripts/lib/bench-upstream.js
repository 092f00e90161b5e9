// The upstream every gateway is measured against (not the full mock, so it is never the bottleneck): a small chat
// completion at once, or a stream of `max_tokens` chunks (then the usage chunk when asked, then [DONE]) written at
// once or paced by a `[[mock tps=N]]` directive. Each streamed chunk carries `@SCHEDULED,SENT;` in µs of the
// machine's monotonic clock (shared by every process), so a client can tell how late each chunk reached it.
// Usage: node bench-upstream.js [--port P] [--backlog B]; prints `bench-upstream listening on URL`.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, backlog: { type: 'string', default: '4096' } } });
const MAX_BODY = 1024 * 1024;
const MAX_CHUNKS = 1_000_000;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'bench-up',
  system_fingerprint: 'bench',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok ok ok ok' }, logprobs: null, finish_reason: 'length' }],
  usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
});
const CHUNK_HEAD =
  'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench-up","system_fingerprint":"bench",' +
  '"choices":[{"index":0,"delta":{"content":"@';
const chunk = (sched, sent, last) =>
  `${CHUNK_HEAD}${sched},${sent};"},"logprobs":null,"finish_reason":${last ? '"length"' : 'null'}}]}\n\n`;
const usageChunk = (n) =>
  'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench-up","system_fingerprint":"bench",' +
  `"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":${n},"total_tokens":${9 + n}}}\n\n`;
const DONE = 'data: [DONE]\n\n';

const stats = { active: 0, streams: 0, chunks: 0 };

function fail(res, status, message) {
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: 'bench_upstream' } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** What a request asks for; an error message for anything the bench itself would never send. */
function parse(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return 'body is not JSON';
  }
  if (typeof body !== 'object' || body === null) return 'body is not an object';
  const n = body.max_tokens ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CHUNKS) return `max_tokens must be an integer in 1..${MAX_CHUNKS}`;
  const tps = Number(/\[\[mock[^\]]*\btps=(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? 0);
  return { stream: body.stream === true, n, intervalUs: tps > 0 ? 1e6 / tps : 0, usage: body.stream_options?.include_usage === true };
}

function stream(res, { n, intervalUs, usage }) {
  stats.active++;
  stats.streams++;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const t0 = nowUs();
  let k = 0;
  let timer;
  let open = true;
  res.on('close', () => {
    clearTimeout(timer);
    if (open) stats.active--;
    open = false;
  });
  const finish = () => {
    if (usage) res.write(usageChunk(n));
    res.end(DONE);
  };
  const send = () => {
    const sched = intervalUs ? Math.round(t0 + k * intervalUs) : t0;
    stats.chunks++;
    k++;
    return res.write(chunk(sched, nowUs(), k === n));
  };
  // Paced: one chunk per interval, each timer aimed at its own schedule so lateness never accumulates.
  const paced = () => {
    if (!open) return;
    send();
    if (k === n) return finish();
    timer = setTimeout(paced, Math.max(0, (t0 + k * intervalUs - nowUs()) / 1000));
  };
  // At once: as fast as the gateway reads (backpressure honoured).
  const burst = () => {
    while (open && k < n) if (!send() && k < n) return void res.once('drain', burst);
    if (open) finish();
  };
  if (intervalUs) paced();
  else burst();
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  if (req.method === 'GET') {
    if (req.url === '/bench/stats') return void res.end(JSON.stringify(stats));
    return void res.end('ok');
  }
  const parts = [];
  let size = 0;
  req.on('data', (d) => {
    size += d.length;
    if (size <= MAX_BODY) parts.push(d);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return fail(res, 413, 'body over 1 MiB');
    const ask = parse(Buffer.concat(parts).toString());
    if (typeof ask === 'string') return fail(res, 400, ask);
    if (ask.stream) return stream(res, ask);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) });
    res.end(completion);
  });
});
server.listen({ port: Number(values.port), host: '127.0.0.1', backlog: Number(values.backlog) }, () =>
  console.log(`bench-upstream listening on http://127.0.0.1:${server.address().port}`),
);
