// The upstream every gateway is measured against (not the full mock, so it is never the bottleneck): a chat
// completion of `max_tokens` tokens (`ok ok …`, in slices, with backpressure), or a stream of `max_tokens` chunks
// (then the usage chunk when asked, then [DONE]) written at once or paced by a `[[mock tps=N]]` directive. Each
// streamed chunk carries `@SCHEDULED,SENT;` in µs of the machine's monotonic clock (shared by every process), so a
// client can tell how late each chunk reached it.
// HTTP/1.1 over raw sockets: one write per chunk, no per-chunk stream machinery, keep-alive, bodies by length.
// `--null-usage`: a stream that asked for usage carries `"usage":null` in every chunk but the usage chunk, as
// OpenAI's own do (vLLM's do not), followed by OpenAI's `"obfuscation"` member.
// Usage: node bench-upstream.js [--port P] [--backlog B] [--null-usage]; prints `bench-upstream listening on URL`.
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    backlog: { type: 'string', default: '4096' },
    'null-usage': { type: 'boolean', default: false },
  },
});
const MAX_HEAD = 64 * 1024;
const MAX_BODY = 1024 * 1024;
const MAX_TOKENS = 10_000_000;
const SLICE_TOKENS = 16 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const ORIGIN_US = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const nowUs = () => Math.round(ORIGIN_US + performance.now() * 1000);

const COMPLETION_HEAD =
  '{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"bench-up","system_fingerprint":"bench",' +
  '"choices":[{"index":0,"message":{"role":"assistant","content":"ok';
const completionTail = (n) =>
  `"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":${n},"total_tokens":${9 + n}}}`;
const OKS = ' ok'.repeat(SLICE_TOKENS);
const CHUNK_HEAD =
  'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench-up","system_fingerprint":"bench",' +
  '"choices":[{"index":0,"delta":{"content":"@';
const frame = (s) => `${s.length.toString(16)}\r\n${s}\r\n`; // every payload here is ASCII: length = bytes
/**
 * What a chunk of a stream that asked for usage ends with (`--null-usage`: OpenAI's `"usage":null`, then the
 * `"obfuscation"` member its chunks have carried since 2026, a few characters that pad chunk sizes).
 */
const USAGE_TAIL = values['null-usage'] ? ',"usage":null,"obfuscation":"Qx7b2"' : '';
const chunk = (sched, sent, last, usage) =>
  frame(`${CHUNK_HEAD}${sched},${sent};"},"logprobs":null,"finish_reason":${last ? '"length"' : 'null'}}]${usage ? USAGE_TAIL : ''}}\n\n`);
const usageChunk = (n) =>
  frame(
    'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench-up","system_fingerprint":"bench",' +
      `"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":${n},"total_tokens":${9 + n}}}\n\n`,
  );
const LAST = `${frame('data: [DONE]\n\n')}0\r\n\r\n`;
const CLOSE = 'connection: close\r\n';
const SSE_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n';
const streamHead = (close) => `${SSE_HEAD}${close ? CLOSE : ''}\r\n`;

const stats = { active: 0, streams: 0, chunks: 0 };

const reply = (status, type, body, close) =>
  `HTTP/1.1 ${status}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${close ? CLOSE : ''}\r\n${body}`;
const error = (status, message, close = false) =>
  reply(
    status,
    'application/json',
    JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: 'bench_upstream' } }),
    close,
  );

/** What a request body asks for; an error message for anything the bench itself would never send. */
function parse(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return 'body is not JSON';
  }
  if (typeof body !== 'object' || body === null) return 'body is not an object';
  const n = body.max_tokens ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOKENS) return `max_tokens must be an integer in 1..${MAX_TOKENS}`;
  const tps = Number(/\[\[mock[^\]]*\btps=(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? 0);
  return { stream: body.stream === true, n, intervalUs: tps > 0 ? 1e6 / tps : 0, usage: body.stream_options?.include_usage === true };
}

/** A completion of n tokens: the content goes out in slices, each written when the socket has room. */
function complete(sock, n, close, done) {
  const tail = completionTail(n);
  const length = COMPLETION_HEAD.length + 3 * (n - 1) + tail.length;
  const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n${close ? CLOSE : ''}\r\n`;
  let left = n - 1;
  const pump = () => {
    while (left > 0) {
      const k = Math.min(left, SLICE_TOKENS);
      left -= k;
      if (!sock.write(k === SLICE_TOKENS ? OKS : OKS.slice(0, 3 * k)) && left > 0) return void sock.once('drain', pump);
    }
    sock.write(tail);
    done();
  };
  sock.write(head + COMPLETION_HEAD);
  pump();
}

/** Writes a stream on the socket; calls `done` once its last byte is written (or the socket is gone). */
function stream(sock, { n, intervalUs, usage }, close, done) {
  stats.active++;
  stats.streams++;
  sock.write(streamHead(close));
  const t0 = nowUs();
  let k = 0;
  let timer;
  let open = true;
  const stop = () => {
    if (!open) return;
    open = false;
    clearTimeout(timer);
    stats.active--;
    sock.off('close', stop);
  };
  sock.on('close', stop);
  const finish = () => {
    sock.write(usage ? usageChunk(n) + LAST : LAST);
    stop();
    done();
  };
  const send = () => {
    const sched = intervalUs ? Math.round(t0 + k * intervalUs) : t0;
    stats.chunks++;
    k++;
    return sock.write(chunk(sched, nowUs(), k === n, usage));
  };
  // Paced: one chunk per interval, each timer aimed at its own schedule so lateness never accumulates.
  const paced = () => {
    if (!open) return;
    // libuv fires a timer against the loop's cached clock, so it can come a fraction of a ms early: wait out
    // the rest, so a chunk is never sent before its schedule (its lateness is never negative).
    const early = (t0 + k * intervalUs - nowUs()) / 1000;
    if (k > 0 && early > 0) {
      timer = setTimeout(paced, Math.ceil(early));
      return;
    }
    send();
    if (k === n) return finish();
    timer = setTimeout(paced, Math.max(0, (t0 + k * intervalUs - nowUs()) / 1000));
  };
  // At once: as fast as the reader takes it (backpressure honoured).
  const burst = () => {
    while (open && k < n) if (!send() && k < n) return void sock.once('drain', burst);
    if (open) finish();
  };
  if (intervalUs) paced();
  else burst();
}

/** One connection: requests one after another (keep-alive), each answered before the next is read. */
function serve(sock) {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  let buf = Buffer.alloc(0);
  let busy = false;
  const next = () => {
    busy = false;
    if (buf.length) handle();
  };
  const handle = () => {
    if (busy || sock.destroyed) return;
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (buf.length > MAX_HEAD) sock.end(error('431 Request Header Fields Too Large', 'request head over 64 KiB', true));
      return;
    }
    const head = buf.subarray(0, end).toString('latin1');
    const line = /^([A-Z]+) (\S+) HTTP\/1\.([01])\r\n/.exec(`${head}\r\n`);
    if (!line) return void sock.end(error('400 Bad Request', 'not an HTTP/1.x request line', true));
    const header = (name) => new RegExp(`\\r\\n${name}:[ \\t]*([^\\r]*)`, 'i').exec(head)?.[1]?.trim();
    const close = line[3] === '0' || /^close$/i.test(header('connection') ?? '');
    if (header('transfer-encoding') !== undefined)
      return void sock.end(error('411 Length Required', 'this upstream reads bodies by content-length only', true));
    const cl = header('content-length') ?? '0';
    if (!/^\d{1,9}$/.test(cl)) return void sock.end(error('400 Bad Request', 'bad content-length', true));
    if (Number(cl) > MAX_BODY) return void sock.end(error('413 Payload Too Large', 'body over 1 MiB', true));
    if (buf.length < end + 4 + Number(cl)) return; // the body is still arriving
    const body = buf.subarray(end + 4, end + 4 + Number(cl)).toString();
    buf = buf.subarray(end + 4 + Number(cl));
    busy = true;
    const respond = (bytes) => {
      if (close) return void sock.end(bytes);
      sock.write(bytes);
      next();
    };
    if (line[1] === 'GET')
      return respond(reply('200 OK', 'application/json', line[2] === '/bench/stats' ? JSON.stringify(stats) : '"ok"', close));
    const ask = parse(body);
    if (typeof ask === 'string') return respond(error('400 Bad Request', ask, close));
    if (!ask.stream) return complete(sock, ask.n, close, () => (close ? sock.end() : next()));
    stream(sock, ask, close, () => (close ? sock.end() : next()));
  };
  sock.on('data', (d) => {
    if (sock.writableEnded) return; // answered and closing: the rest of what it sends is dropped
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    // A client sending more while its stream runs: bounded, like everything else here.
    if (buf.length > MAX_HEAD + MAX_BODY) return void sock.destroy();
    handle();
  });
}

const server = createServer(serve);
server.listen({ port: Number(values.port), host: '127.0.0.1', backlog: Number(values.backlog) }, () =>
  console.log(`bench-upstream listening on http://127.0.0.1:${server.address().port}`),
);
// A clean exit on a signal (so `node --cpu-prof` can write its profile).
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
