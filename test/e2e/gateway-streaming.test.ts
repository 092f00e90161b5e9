/** Streams through the gateway: event-by-event delivery, byte fidelity, usage, breaks and aborts. */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { eventually, gatewayFor, useGateway } from '../helpers/gateway.js';
import { inParallel } from '../helpers/load.js';
import { rawPost, streamedText } from '../helpers/raw.js';
import { useRawUpstream, useUpstream } from '../helpers/upstream.js';

const TRANSCRIPT = readFileSync('fixtures/sse/vllm-chat-multibyte.sse');

/** Replays the recorded transcript (line endings per x-eol) in two writes split at x-split-at. */
const replay = await useUpstream((req, res) => {
  const eol = String(req.headers['x-eol'] ?? 'lf');
  const text = TRANSCRIPT.toString().replace(/\n/g, eol === 'crlf' ? '\r\n' : eol === 'cr' ? '\r' : '\n');
  const bytes = Buffer.from(text);
  const at = Number(req.headers['x-split-at'] ?? bytes.length);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(bytes.subarray(0, at));
  setTimeout(() => res.end(bytes.subarray(at)), 2);
});

/** Sends the body the test put in `script`, as SSE, in 64 KiB writes. */
let script = Buffer.alloc(0);
const scripted = await useUpstream((_req, res) => {
  const body = script;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < body.length; i += 65536) res.write(body.subarray(i, i + 65536));
  res.end();
});

let silentSockets = 0;
let silentClosed = 0;
const silent = await useRawUpstream((socket) => {
  silentSockets++;
  socket.on('close', () => silentClosed++);
});

// Idle and client-stall timeouts no stall of a busy machine reaches: a gateway stalled past one cuts a healthy stream
// when it wakes (its timers run before it reads what came meanwhile, or sees the client's socket drain). The tests
// of those two timeouts have gateways of their own.
const gw = await useGateway(
  `
version: 1
timeouts: { idle: 10s, firstByte: 10s, clientStall: 10s }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  backup: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  replay: { url: "{{replay}}" }
  scripted: { url: "{{scripted}}" }
  silent: { url: "{{silent}}" }
models:
  m: { targets: [{ backend: vllm }], fallbacks: [b] }
  b: { targets: [{ backend: backup }] }
  replay: { targets: [{ backend: replay }] }
  scripted: { targets: [{ backend: scripted }] }
  silent: { targets: [{ backend: silent }] }
`,
  { replay: replay.url, scripted: scripted.url, silent: silent.url },
);
const url = `${gw.url}/v1/chat/completions`;
const chat = (content: string, extra: object = {}) => ({ model: 'm', messages: [{ role: 'user', content }], stream: true, ...extra });

describe('streams are relayed event by event', () => {
  it('sends each of 20 events 100 ms apart as its own write, uncompressed, unbuffered (case 1)', async () => {
    const r = await rawPost(url, chat('pace me', { max_tokens: 20 }), { headers: { 'x-mock-tps': '10', 'accept-encoding': 'gzip, br' } });
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-accel-buffering']).toBe('no');
    // The generated text's events (not the role event's empty content). The mock writes its first in the same tick
    // as the role event, which Node 24 sends in one segment (Node 20 in two): a read the relay passes on as it came.
    const tokensIn = (c: { data: Buffer }) => c.data.toString().match(/"content":"[^"]/g)?.length ?? 0;
    const content = r.chunks.filter((c) => tokensIn(c) > 0);
    // Twenty tokens, read one a read: none held back to go out with the next. A mock a busy machine stalled writes the
    // events it owes in one tick (a stall of 300 ms: four in one read), so at least half the reads must carry one
    // token; a relay that buffers, or holds each event back until the next, has none or one or two.
    expect(content.reduce((n, c) => n + tokensIn(c), 0)).toBe(20);
    expect(content.filter((c) => tokensIn(c) === 1).length).toBeGreaterThanOrEqual(10);
    const gaps = content
      .slice(1)
      .map((c, i) => c.at - content[i]!.at)
      .sort((a, b) => a - b);
    // Paced 100 ms apart upstream, each event its own read (above): a buffering relay would deliver them in a
    // burst (gaps near 0 ms). The median separates the cases by two orders of magnitude; one event a loaded
    // machine delays does not.
    expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThan(50);
    // 1.9 s from the first token to the last, less what a stall lets the mock catch up on; a burst takes ~0 ms.
    expect(content.at(-1)!.at - content[0]!.at).toBeGreaterThan(1900 / 2);
  });

  it('passes a recorded stream cut at every byte offset through byte-identical (LF, CRLF, CR; 北, 🌍) (case 2)', async () => {
    for (const eol of ['lf', 'crlf', 'cr']) {
      const expected = Buffer.from(TRANSCRIPT.toString().replace(/\n/g, eol === 'crlf' ? '\r\n' : eol === 'cr' ? '\r' : '\n'));
      const offsets = Array.from({ length: expected.length - 1 }, (_, i) => i + 1);
      const results = await inParallel(offsets.length, 16, (i) =>
        rawPost(
          url,
          { model: 'replay', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } },
          { headers: { 'x-eol': eol, 'x-split-at': String(offsets[i]) } },
        ),
      );
      for (const [i, r] of results.entries()) {
        expect(r.body.equals(expected), `${eol} split at ${offsets[i]}`).toBe(true);
      }
    }
  }, 60_000);

  it("keeps the mock's split multibyte characters and ping comments intact (case 2, live)", async () => {
    const body = chat('[[mock quirks=split-utf8,ping]] go', { max_tokens: 120, seed: 9 });
    const r = await rawPost(url, body);
    expect(r.body.toString()).toContain(': ping');
    expect(r.body.toString()).not.toContain('\ufffd');
    expect(streamedText(r.events)).toBe(generateText(chatPromptKey(body.messages), 9, 120));
  });

  it('never adds or moves [DONE]: `data: [DONE]x` is not the end (nor relayed: SDKs stop at it), and a stream without [DONE] stays without (case 3)', async () => {
    const rest = 'data: {"choices":[{"index":0,"delta":{"content":"after"}}]}\n\ndata: [DONE]\n\n';
    script = Buffer.from(`data: [DONE]x\n\n${rest}`);
    const r = await rawPost(url, {
      model: 'scripted',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.body.toString()).toBe(rest);
    // A stream that ends cleanly without [DONE] is a cut (trust class 11): one error event, never a made-up [DONE].
    const noDone = await rawPost(url, chat('x', { max_tokens: 3 }), { headers: { 'x-mock-quirks': 'no-done' } });
    expect(noDone.events.some((e) => e.data === '[DONE]')).toBe(false);
    expect(JSON.parse(noDone.events.at(-1)!.data!).error.code).toBe('upstream_stream_error');
  });

  it('passes a single event larger than 8 MiB (case 7)', async () => {
    const big = `data: {"choices":[{"index":0,"delta":{"content":"${'x'.repeat(9 * 1024 * 1024)}"}}]}\n\ndata: [DONE]\n\n`;
    script = Buffer.from(big);
    const r = await rawPost(url, {
      model: 'scripted',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.body.length).toBe(Buffer.byteLength(big));
    expect(r.body.toString() === big).toBe(true);
  }, 30_000);
});

describe('usage injection (case 4)', () => {
  const capture = async (streamOptions: object | undefined) => {
    const extra = streamOptions === undefined ? {} : { stream_options: streamOptions };
    return rawPost(url, chat('usage', { max_tokens: 3, ...extra }));
  };
  it('asks upstream for usage, and shows the usage chunk only to a client that asked', async () => {
    const none = await capture(undefined);
    expect(none.body.toString()).not.toContain('"usage"');
    expect((await gw.requestEvent(none.headers['x-request-id'])).tokens).toMatchObject({ output: 3, outputSource: 'usage' });
    const explicitFalse = await capture({ include_usage: false });
    expect(explicitFalse.body.toString()).not.toContain('"usage"');
    const asked = await capture({ include_usage: true });
    expect(asked.body.toString()).toContain('"usage"');
  });

  it('reads an OpenAI stream’s `"usage": null` chunks as output and its last chunk as the usage, byte for byte', async () => {
    // OpenAI's API, asked for usage: a `"usage":null` key in every chunk but the last (spaced as it likes).
    const head = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x"';
    const chunks = ['Hel', 'lo', '!'].map(
      (t, i) =>
        `data: ${head},"choices":[{"index":0,"delta":{"content":"${t}"},"finish_reason":null}],"usage"${i === 1 ? ' : ' : ':'}null}\n\n`,
    );
    // Azure's first chunk: no choices, its content filter's verdict on the prompt — not the usage chunk, so a client
    // that did not ask for usage gets it as it would from Azure itself.
    chunks.unshift(
      `data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0}],"usage":null}\n\n`,
    );
    const usage = `data: ${head},"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}\n\n`;
    script = Buffer.from(`${chunks.join('')}${usage}data: [DONE]\n\n`);
    const ask = (streamOptions?: object) =>
      rawPost(url, { ...chat('null usage', { model: 'scripted' }), ...(streamOptions ? { stream_options: streamOptions } : {}) });
    // Not asked for usage: every content chunk as sent, the usage chunk held back; the usage counted.
    const quiet = await ask();
    expect(quiet.body.toString()).toBe(`${chunks.join('')}data: [DONE]\n\n`);
    expect((await gw.requestEvent(quiet.headers['x-request-id'])).tokens).toMatchObject({
      input: 11,
      output: 3,
      inputSource: 'usage',
      outputSource: 'usage',
    });
    // Asked: the stream whole.
    const asked = await ask({ include_usage: true });
    expect(asked.body.toString()).toBe(script.toString());
    expect((await gw.requestEvent(asked.headers['x-request-id'])).tokens).toMatchObject({ input: 11, output: 3, outputSource: 'usage' });
  });
});

describe('a stream that breaks after bytes went out', () => {
  it('ends with one upstream_stream_error event and no [DONE], without fallback, counted as a truncation (case 12, RST)', async () => {
    const before = (await gw.mockStats('backup')).requests['/v1/chat/completions'] ?? 0;
    const r = await rawPost(url, chat('break', { max_tokens: 50 }), { headers: { 'x-mock-fault': 'reset-after:5' } });
    const last = r.events.at(-1)!;
    expect(JSON.parse(last.data!).error.code).toBe('upstream_stream_error');
    expect(r.body.toString()).not.toContain('[DONE]');
    expect(streamedText(r.events.slice(0, -1)).split(' ')).toHaveLength(5);
    expect((await gw.mockStats('backup')).requests['/v1/chat/completions'] ?? 0).toBe(before);
    expect(gw.eventsOf('truncation').at(-1)).toMatchObject({ reason: 'upstream_reset', backend: 'vllm', stream: true });
    const broken = await gw.requestEvent(r.headers['x-request-id']);
    expect(broken.truncated).toBe(true);
    // No usage came (the stream broke): the prompt is counted by the tokenizer, the output by chunks.
    const counted = broken.tokens;
    expect(counted).toMatchObject({ output: 6, outputSource: 'estimate', inputSource: 'tokenizer' });
    // Counted from the bytes sent upstream (the parsed body is not kept for a stream's life): as many tokens
    // as the backend itself reports for the same prompt.
    const whole = await rawPost(url, chat('break', { max_tokens: 3, stream_options: { include_usage: true } }));
    const reported = (await gw.requestEvent(whole.headers['x-request-id'])).tokens;
    expect(reported.inputSource).toBe('usage');
    expect(counted.input).toBe(reported.input);
  });

  it('does the same on a clean FIN mid-stream (case 12, FIN)', async () => {
    const r = await rawPost(url, chat('fin', { max_tokens: 50 }), { headers: { 'x-mock-fault': 'close-after:5' } });
    expect(JSON.parse(r.events.at(-1)!.data!).error.code).toBe('upstream_stream_error');
    expect(r.body.toString()).not.toContain('[DONE]');
  });

  it('cuts a stalled stream at the idle timeout with upstream_idle_timeout, and the backend sees its socket closed (case 15)', async () => {
    // A gateway of its own with an idle timeout of 300 ms: the stream stalls for good, so this is all it waits.
    const g = await gatewayFor(`
version: 1
timeouts: { idle: 300ms, firstByte: 10s }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);
    try {
      const r = await rawPost(`${g.url}/v1/chat/completions`, chat('stall', { max_tokens: 50 }), {
        headers: { 'x-mock-fault': 'stall-after:3' },
      });
      expect(JSON.parse(r.events.at(-1)!.data!).error.code).toBe('upstream_idle_timeout');
      expect(r.body.toString()).not.toContain('[DONE]');
      await eventually(async () => (await g.mockStats('vllm')).aborted.count === 1);
      expect(g.eventsOf('truncation').at(-1)).toMatchObject({ reason: 'idle_timeout' });
    } finally {
      await g.close();
    }
  });
});

describe('client aborts reach the backend at once (cases 22, 23)', () => {
  const abortSeen = async (run: () => Promise<unknown>) => {
    const before = (await gw.mockStats('vllm')).aborted.count;
    const t0 = Date.now();
    await run().catch(() => undefined);
    // Seconds at most, where a backend that never heard of the client leaving would go on for 20 s.
    await eventually(async () => (await gw.mockStats('vllm')).aborted.count === before + 1, 3000);
    return { ms: Date.now() - t0, stats: await gw.mockStats('vllm') };
  };
  /** Resolves once the backend has the request (so a client leaving is something it can see). */
  const backendHas = async () => {
    const seen = (await gw.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0;
    await eventually(async () => ((await gw.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0) > seen);
    await sleep(100);
  };

  it("mid-stream: the backend's socket closes within 1 s, and the partial output is charged", async () => {
    const { stats } = await abortSeen(() =>
      rawPost(url, chat('abort', { max_tokens: 1000 }), { headers: { 'x-mock-tps': '50' }, abortAfterChunks: 8 }),
    );
    expect(stats.aborted.recent.at(-1)!.atToken).toBeGreaterThan(3);
    await eventually(() => gw.eventsOf('request').at(-1)?.clientAborted === true);
    expect(gw.eventsOf('request').at(-1)!.tokens.output).toBeGreaterThan(3);
  });

  it('while waiting for the first token', async () => {
    const { stats } = await abortSeen(() =>
      rawPost(url, chat('ttft', { max_tokens: 10 }), { headers: { 'x-mock-ttft': '20s' }, abortWhen: backendHas() }),
    );
    expect(stats.aborted.recent.at(-1)!.atToken).toBe(0);
  });

  it('during a non-streamed generation', async () => {
    const { stats } = await abortSeen(() =>
      rawPost(url, { ...chat('gen', { max_tokens: 400 }), stream: false }, { headers: { 'x-mock-tps': '20' }, abortWhen: backendHas() }),
    );
    expect(stats.aborted.recent.at(-1)).toMatchObject({ stream: false });
  });

  it('while the backend has not answered at all (connecting / waiting for headers)', async () => {
    const before = silentClosed;
    const connected = silentSockets;
    const arrived = eventually(() => silentSockets > connected);
    await rawPost(url, { model: 'silent', messages: [{ role: 'user', content: 'x' }] }, { abortWhen: arrived }).catch(() => undefined);
    await eventually(() => silentClosed === before + 1, 3000);
  });

  it("a stream client that stops reading does not make the gateway buffer the backend's output", async () => {
    // Backpressure both ways: the client reads nothing for a while; the mock must be held back too.
    const before = (await gw.mockStats('vllm')).bytesSent;
    const r = rawPost(url, chat('slow reader', { max_tokens: 2_000_000 }), {
      abortAfterMs: 1500,
      headers: { 'x-mock-chunk-tokens': '64' },
    });
    await sleep(1000);
    const sent = (await gw.mockStats('vllm')).bytesSent - before;
    await r;
    // Reading as fast as possible this would be hundreds of MB; held back by the client it stays near socket buffers.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('a stream client that reads nothing for timeouts.clientStall loses its connection, and the request frees what it held', async () => {
    // The socket stays open and paused: only the gateway can end this. Before, the paused upstream ran no
    // timer, and the request held its slot, lease and upstream connection until the client closed.
    const body = JSON.stringify(chat('never read [[mock ttft=0ms tps=0]]', { max_tokens: 2_000_000 }));
    const g = await gatewayFor(`
version: 1
timeouts: { clientStall: 300ms }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);
    const socket = connect(Number(new URL(g.url).port), '127.0.0.1');
    socket.on('error', () => {});
    socket.pause();
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-mock-chunk-tokens: 64\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    try {
      await eventually(() => g.gateway.state.live.size === 1, 5000);
      // clientStall is 300 ms here: cut within seconds, where before it was held for as long as the socket stayed open.
      await eventually(() => g.gateway.state.live.size === 0, 10_000);
    } finally {
      socket.destroy();
      await g.close();
    }
  });
});
