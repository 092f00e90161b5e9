// The instruments of bench:overhead on real sockets: its upstream, its raw stream client (what counts as a
// failed stream), and the probe it loads into a Node gateway. Small and bounded: a few streams, a few seconds.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCpuProfile } from '../../scripts/lib/cpuprofile-top.js';
import { holdStreams } from '../../scripts/lib/stream-hold.js';
import { runStreams, WARM_UP_SECONDS } from '../../scripts/lib/streams-mode.js';
import { type Started, startProcess } from '../../scripts/lib/targets.js';
import { freePort } from '../helpers/ports.js';
import { useRawUpstream } from '../helpers/upstream.js';

const lib = (f: string) => new URL(`../../scripts/lib/${f}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-tools-'));
const paced = (chunks: number, tps: number) =>
  JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: `[[mock tps=${tps}]]` }],
    max_tokens: chunks,
    stream: true,
    stream_options: { include_usage: true },
  });

let upstream: Started;
let upUrl: string;
let bare: Started;
let bareUrl: string;
let viaDispatch: Started;
let dispatchUrl: string;
/** The bare proxy (pool.request, streams piped), or with `--dispatch` (undici's dispatch API, reads written as they come). */
async function bareProxy(name: string, extra: string[], upstream = upUrl): Promise<{ proc: Started; url: string }> {
  const port = await freePort();
  const proc = await startProcess({
    name,
    cmd: process.execPath,
    args: ['--import', new URL(lib('gateway-probe.js'), 'file:').href, lib('bare-proxy.js'), upstream, '--port', String(port), ...extra],
    ports: [port],
    dir,
    ipc: true,
  });
  return { proc, url: `http://127.0.0.1:${port}` };
}
beforeAll(async () => {
  const port = await freePort();
  upstream = await startProcess({
    name: 'upstream',
    cmd: process.execPath,
    args: [lib('bench-upstream.js'), '--port', String(port)],
    ports: [port],
    dir,
  });
  upUrl = `http://127.0.0.1:${port}`;
  ({ proc: bare, url: bareUrl } = await bareProxy('bare', []));
  ({ proc: viaDispatch, url: dispatchUrl } = await bareProxy('dispatch', ['--dispatch']));
});
afterAll(async () => {
  await bare?.stop();
  await viaDispatch?.stop();
  await upstream?.stop();
  expect(bare.alive()).toBe(false);
  expect(viaDispatch.alive()).toBe(false);
  rmSync(dir, { recursive: true, force: true }); // a heap snapshot is megabytes
});

describe('bench upstream', () => {
  const post = (body: string) =>
    fetch(`${upUrl}/v1/chat/completions`, { method: 'POST', body }).then(async (r) => [r.status, await r.text()] as const);
  const cases: { name: string; body: string; status: number; has: string }[] = [
    { name: 'a plain completion', body: '{"model":"m","max_tokens":4}', status: 200, has: '"object":"chat.completion"' },
    { name: 'not JSON', body: '{"model":', status: 400, has: 'body is not JSON' },
    { name: 'not an object', body: '"x"', status: 400, has: 'body is not an object' },
    { name: 'a negative max_tokens', body: '{"max_tokens":-1,"stream":true}', status: 400, has: 'max_tokens must be an integer' },
    { name: 'a fractional max_tokens', body: '{"max_tokens":1.5,"stream":true}', status: 400, has: 'max_tokens must be an integer' },
    { name: 'a body over 1 MiB', body: `{"x":"${'a'.repeat(1100 * 1024)}"}`, status: 413, has: 'body over 1 MiB' },
    {
      name: 'a burst stream with usage',
      body: '{"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}',
      status: 200,
      has: '"usage":{"prompt_tokens":9,"completion_tokens":3',
    },
  ];
  it('a long completion: valid JSON of exactly max_tokens tokens, whatever the slicing', async () => {
    for (const n of [1, 16 * 1024, 16 * 1024 + 1, 100_000]) {
      const [status, text] = await post(JSON.stringify({ max_tokens: n }));
      expect(status).toBe(200);
      const j = JSON.parse(text) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
      expect(j.choices[0]!.message.content).toBe(`ok${' ok'.repeat(n - 1)}`);
      expect(j.usage.completion_tokens).toBe(n);
    }
  });
  for (const c of cases) {
    it(c.name, async () => {
      const [status, text] = await post(c.body);
      expect(status).toBe(c.status);
      expect(text).toContain(c.has);
    });
  }
  it('streams as vLLM does by default, and with --null-usage as OpenAI does: `"usage":null` in every chunk but the usage chunk', async () => {
    const withUsage = '{"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}';
    const events = (text: string) => text.split('\n\n').filter((e) => e.startsWith('data: {'));
    expect(events((await post(withUsage))[1]).filter((e) => e.includes('"usage":null'))).toHaveLength(0);
    const port = await freePort();
    const openai = await startProcess({
      name: 'upstream-null-usage',
      cmd: process.execPath,
      args: [lib('bench-upstream.js'), '--port', String(port), '--null-usage'],
      ports: [port],
      dir,
    });
    try {
      const ask = (body: string) => fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', body }).then((r) => r.text());
      const evs = events(await ask(withUsage));
      expect(evs).toHaveLength(4);
      for (const e of evs.slice(0, 3)) expect(e).toMatch(/"choices":\[\{.*\}\],"usage":null,"obfuscation":"\w+"\}$/);
      expect(evs[3]).toContain('"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3');
      // Not asked for usage: no usage key at all, as OpenAI.
      expect(await ask('{"max_tokens":3,"stream":true}')).not.toContain('"usage"');
    } finally {
      await openai.stop();
    }
  });
});

/** Sends raw bytes to the upstream; resolves with all it answered before closing (or 2 s). */
function exchange(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = connect({ port: Number(new URL(upUrl).port), host: '127.0.0.1' }, () => s.write(bytes));
    const done = () => resolve(out);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', done);
    s.on('error', done);
    setTimeout(() => s.destroy(), 2000);
  });
}

describe('bench upstream on the wire', () => {
  const post = (body: string, extra = '') =>
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const cases: { name: string; send: string; expect: RegExp[] }[] = [
    {
      name: 'two requests on one keep-alive connection, then close on request',
      send: post('{}') + post('{}', 'connection: close\r\n'),
      expect: [/^HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close/],
    },
    {
      name: 'a stream, framed in chunks, then the next request',
      send: post('{"max_tokens":2,"stream":true}') + post('{}', 'connection: close\r\n'),
      expect: [/transfer-encoding: chunked[\s\S]*@\d+,\d+;[\s\S]*data: \[DONE\]\n\n\r\n0\r\n\r\nHTTP\/1\.1 200 OK/],
    },
    { name: 'HTTP/1.0 closes after the answer', send: 'GET /bench/stats HTTP/1.0\r\n\r\n', expect: [/"streams":\d+/] },
    {
      name: 'a chunked request body',
      send: 'POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
      expect: [/^HTTP\/1\.1 411 Length Required/],
    },
    {
      name: 'a bad content-length',
      send: 'POST / HTTP/1.1\r\ncontent-length: -1\r\n\r\n',
      expect: [/^HTTP\/1\.1 400 [\s\S]*bad content-length/],
    },
    { name: 'not HTTP', send: 'hello\r\n\r\n', expect: [/^HTTP\/1\.1 400 [\s\S]*not an HTTP\/1\.x request line/] },
    { name: 'a head that never ends', send: `GET / HTTP/1.1\r\n${'x-a: b\r\n'.repeat(9000)}`, expect: [/^HTTP\/1\.1 431 /] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const got = await exchange(c.send);
      for (const re of c.expect) expect(got).toMatch(re);
    });
  }
});

describe('the bare proxies', () => {
  it("relay a non-streamed answer as direct's: status, content-type and bytes, both ways", async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3000 });
    const answers = [];
    for (const base of [upUrl, bareUrl, dispatchUrl]) {
      const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      answers.push({ status: r.status, type: r.headers.get('content-type'), text: await r.text() });
    }
    expect(answers[0]!.text.length).toBeGreaterThan(3000 * 3); // long enough to arrive in several reads
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('through undici dispatch, an answer cut upstream is cut for the client too, and one never begun is a 502', async () => {
    const cut = await useRawUpstream((s) =>
      s.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"id":'),
    );
    const { proc, url } = await bareProxy('dispatch-cut', ['--dispatch'], cut.url);
    const gone = await useRawUpstream((s) => s.destroy());
    const never = await bareProxy('dispatch-gone', ['--dispatch'], gone.url);
    try {
      const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: '{}' });
      expect(r.status).toBe(200);
      await expect(r.text()).rejects.toThrow();
      expect((await fetch(`${never.url}/v1/chat/completions`, { method: 'POST', body: '{}' })).status).toBe(502);
    } finally {
      await proc.stop();
      await never.proc.stop();
    }
  });

  it('through undici dispatch, a client gone mid-stream frees its upstream connection', async () => {
    const { proc, url } = await bareProxy('dispatch-one', ['--dispatch', '--connections', '1']);
    try {
      // 100 chunks at 10 a second: the stream would hold the only connection for 10 s, paused for good once its client left.
      const leaving = new AbortController();
      const r = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: paced(100, 10),
        signal: leaving.signal,
      });
      await r.body!.getReader().read();
      leaving.abort();
      const next = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
        signal: AbortSignal.timeout(5000),
      });
      expect(next.status).toBe(200);
      expect(await next.text()).toContain('"usage"');
    } finally {
      await proc.stop();
    }
  });
});

describe('holding paced streams', () => {
  it('direct and through the bare proxy (both ways): every stream whole, one stamp per chunk, lateness measured', async () => {
    for (const base of [upUrl, bareUrl, dispatchUrl]) {
      const r = await holdStreams({
        url: `${base}/v1/chat/completions`,
        body: paced(5, 50),
        n: 20,
        rampMs: 100,
        chunks: 5,
        intervalMs: 20,
      });
      expect(r).toMatchObject({ n: 20, ok: 20, failed: 0, failures: {}, chunks: 100, expectedChunks: 100 });
      expect(r.ttfc.count).toBe(20);
      expect(r.gap.count).toBe(80);
      // Upstream and client share the monotonic clock: nothing arrives before it was sent.
      expect(r.delay.p50).toBeGreaterThanOrEqual(0);
      expect(r.upstreamLateness.p50).toBeGreaterThanOrEqual(0);
    }
  });

  const broken: { name: string; respond: (s: import('node:net').Socket) => void; reason: string; graceMs?: number }[] = [
    {
      name: 'an error status',
      respond: (s) => s.end('HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\n\r\n{}'),
      reason: 'status 429',
    },
    {
      name: 'cut after one chunk',
      respond: (s) => {
        s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\n@1,2;\n\r\n');
        setTimeout(() => s.destroy(), 20);
      },
      reason: 'cut mid-stream: connection closed (chunk-size)',
    },
    {
      name: 'a clean end with fewer chunks',
      respond: (s) => s.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\n@1,2;\n\r\n0\r\n\r\n'),
      reason: 'ended after fewer chunks than sent',
    },
    {
      name: 'every chunk but no [DONE]',
      respond: (s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n@1,2;\n@3,4;\n'),
      reason: 'ended without data: [DONE]',
    },
    { name: 'no answer at all', respond: () => {}, reason: 'timeout', graceMs: 300 },
  ];
  for (const b of broken) {
    it(`counts a failed stream: ${b.name}`, async () => {
      const up = await useRawUpstream((s) => b.respond(s));
      const r = await holdStreams({
        url: `${up.url}/v1/chat/completions`,
        body: '{}',
        n: 3,
        rampMs: 0,
        chunks: 2,
        intervalMs: 1,
        graceMs: b.graceMs ?? 5000,
      });
      expect(r).toMatchObject({ ok: 0, failed: 3, failures: { [b.reason]: 3 } });
    });
  }

  it('counts a refused connection', async () => {
    const r = await holdStreams({ url: `http://127.0.0.1:${await freePort()}/x`, body: '{}', n: 2, rampMs: 0, chunks: 1, intervalMs: 1 });
    expect(r.failures).toEqual({ ECONNREFUSED: 2 });
  });
});

describe('the streams mode', () => {
  const served = async () => ((await (await fetch(`${upUrl}/bench/stats`)).json()) as { streams: number }).streams;
  /** Direct and one gateway, `n` short streams (50 ms apart) per run; the log's lines kept. */
  const streamsThrough = async (gateway: { name: string; label: string; url: string }, n: number, seconds: number, rounds: number) => {
    const lines: string[] = [];
    const out = await runStreams({
      targets: [{ name: 'direct', label: 'direct', url: upUrl }, gateway],
      up: { url: upUrl, proc: upstream },
      counts: [n],
      seconds,
      intervalMs: 50,
      promptKiB: 0,
      rampMs: 0,
      cadenceMs: 1000,
      rounds,
      headers: {},
      log: (l) => lines.push(l),
    });
    return { runs: out[n]!.runs, lines };
  };

  it('warms every target up unmeasured before its first round, then measures every round', async () => {
    const before = await served();
    // Without its process: the probe's state belongs to the probe's own test below.
    const { runs, lines } = await streamsThrough({ name: 'bare', label: 'bare undici proxy', url: bareUrl }, 4, 0.3, 2);
    // Two warm-ups and two rounds of two targets, 4 streams each: all reached the upstream, only the rounds are reported.
    expect((await served()) - before).toBe(4 * 6);
    for (const name of ['direct', 'bare']) {
      expect(runs[name]!.map((r) => [r.ok, r.failed, r.chunks])).toEqual([
        [4, 0, 24],
        [4, 0, 24],
      ]);
    }
    expect(lines.filter((l) => l.includes('warm-up'))).toEqual([
      `streams: warm-up, 4 streams for ${WARM_UP_SECONDS} s through direct, not measured`,
      `streams: warm-up, 4 streams for ${WARM_UP_SECONDS} s through bare undici proxy, not measured`,
    ]);
    expect(lines.findIndex((l) => l.includes('round 1'))).toBeGreaterThan(lines.findIndex((l) => l.includes('warm-up')));
  }, 30_000);

  it("with a gateway's process: its CPU per chunk while every stream is open, and the seconds its core was saturated", async () => {
    // The bare proxy's process without its probe (the probe's state belongs to the probe's own test below).
    const { cpuSeconds, rssBytes, pause, resume, alive, errFile } = bare;
    const lines: string[] = [];
    const out = await runStreams({
      targets: [
        { name: 'direct', label: 'direct', url: upUrl },
        { name: 'bare', label: 'bare undici proxy', url: bareUrl, proc: { cpuSeconds, rssBytes, pause, resume, alive, errFile } },
      ],
      up: { url: upUrl, proc: upstream },
      counts: [4],
      seconds: 4.2,
      intervalMs: 50,
      promptKiB: 0,
      rampMs: 0,
      cadenceMs: 1000,
      rounds: 1,
      headers: {},
      log: (l) => lines.push(l),
    });
    const [direct] = out[4]!.runs.direct!;
    const [self] = out[4]!.runs.bare!;
    expect([direct!.openCpuUsPerChunk, direct!.saturatedSeconds]).toEqual([undefined, undefined]);
    expect(self!.failed).toBe(0);
    // Read from /proc in ticks of 10 ms: a few streams' CPU in two seconds may round to none, never to nothing read.
    expect(self!.openCpuUsPerChunk).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(self!.openCpuUsPerChunk)).toBe(true);
    // Four streams a chunk each 50 ms do not keep a core busy: at most a stray second of a busy machine.
    expect(self!.saturatedSeconds).toBeGreaterThanOrEqual(0);
    expect(self!.saturatedSeconds).toBeLessThan(2);
    expect(lines.find((l) => l.includes('with every stream open'))).toMatch(
      / \(\d+\.\d with every stream open\), its core ≥ 95 % busy for \d+\.\d s/,
    );
  }, 40_000);

  it('a gateway that drops every stream fails its warm-up and its rounds, not the bench', async () => {
    // Accepts and hangs up at once: a port of this test's own, which no other test can take meanwhile.
    const dead = (await useRawUpstream((s) => s.destroy())).url;
    const { runs, lines } = await streamsThrough({ name: 'gone', label: 'a gateway that is not there', url: dead }, 3, 0.2, 1);
    expect(lines.filter((l) => l.startsWith('  ! warm-up'))).toEqual([
      expect.stringMatching(/^ {2}! warm-up: 3 of 3 streams failed \{".+":3\}$/),
    ]);
    expect(runs.direct!.map((r) => r.ok)).toEqual([3]);
    expect(runs.gone!.map((r) => [r.ok, r.failed])).toEqual([[0, 3]]);
  }, 30_000);
});

describe('a target measured alone (the others frozen)', () => {
  const ask = () =>
    fetch(`${bareUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });

  it('a paused gateway answers nothing until it is resumed', async () => {
    expect((await ask()).status).toBe(200);
    bare.pause();
    const pending = ask();
    try {
      const early = await Promise.race([pending.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 500))]);
      expect(early).toBe('waiting');
    } finally {
      bare.resume();
    }
    expect((await pending).status).toBe(200);
  });

  it('a paused process still stops', async () => {
    const port = await freePort();
    const p = await startProcess({
      name: 'paused',
      cmd: process.execPath,
      args: [lib('bench-upstream.js'), '--port', String(port)],
      ports: [port],
      dir,
    });
    p.pause();
    await p.stop();
    expect(p.alive()).toBe(false);
  });
});

describe('the probe inside a Node gateway', () => {
  it('reports event-loop delay, memory, a CPU profile of a window, a heap snapshot and the collections of a window', async () => {
    const probe = bare.probe!;
    await expect(probe('loop-read')).rejects.toThrow('loop-start first');
    await probe('loop-start');
    const cpuFile = join(dir, 'bare.cpuprofile');
    await probe('cpu-start', { intervalUs: 100 });
    // Enough relaying in the window for a sampled profile to catch undici's frames on a loaded machine: 5 streams of
    // 3 chunks (a few ms of CPU) once left none in CI.
    await holdStreams({ url: `${bareUrl}/v1/chat/completions`, body: paced(10, 100), n: 40, rampMs: 0, chunks: 10, intervalMs: 10 });
    await probe('cpu-stop', { file: cpuFile });
    const loop = (await probe('loop-read')) as { p99: number; samples: number };
    expect(loop.samples).toBeGreaterThan(0);
    expect(loop.p99).toBeGreaterThanOrEqual(0);
    expect(((await probe('memory')) as { rss: number }).rss).toBeGreaterThan(bare.rssBytes() / 4);
    const profile = analyzeCpuProfile(JSON.parse(readFileSync(cpuFile, 'utf8')));
    expect(profile.functions.some((f) => f.area === 'undici')).toBe(true);
    await probe('gc-start');
    const heap = (await probe('heap', { file: join(dir, 'bare.heapsnapshot') })) as { file: string };
    expect(existsSync(heap.file)).toBe(true);
    // A snapshot collects the whole heap first: the GC record sees that full collection.
    const gc = (await probe('gc-stop')) as { fullGcs: number; fullGcUs: number; scavenges: number };
    expect(gc.fullGcs).toBeGreaterThanOrEqual(1);
    expect(gc.fullGcUs).toBeGreaterThan(0);
    await expect(probe('gc-stop')).rejects.toThrow('gc-start first');
    await expect(probe('cpu-stop', { file: cpuFile })).rejects.toThrow('cpu-start first');
  });
});

/** A bench script run to its end: its exit status and everything it printed. */
function runScript(script: string, args: string[], timeout: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { timeout }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: stdout + stderr }),
    );
  });
}

describe('bench:pair', () => {
  const script = new URL('../../scripts/bench-pair.js', import.meta.url).pathname;
  const run = (args: string[]) => runScript(script, args, 110_000);

  // Fourteen loads of a second each, two gateways started, six profiles written and read: more than the default 30 s on a busy machine.
  it('loads two gateways in turn and prints each pair and the median of their ratios', async () => {
    const r = await run([
      'bare',
      'aigw',
      '--pairs',
      '2',
      '--seconds',
      '1',
      '--warmup',
      '1',
      '--connections',
      '4',
      '--alloc',
      '--promoted',
      '--gc',
      '--cpu-prof',
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/pair 1: bare \d+\/s \d+ µs \| aigw \d+\/s \d+ µs/);
    expect(r.out).toMatch(/pair 2: /);
    expect(r.out).toMatch(/median of 2 pairs: aigw\/bare \d+\.\d\d× requests\/s \(\d of 2 pairs above 1\), \d+\.\d\d× CPU per request/);
    // --alloc: what each allocates per request (a request allocates kilobytes in either), and aigw's own files show.
    for (const name of ['bare', 'aigw']) expect(r.out).toMatch(new RegExp(`${name}: \\d+\\.\\d KiB allocated per request`));
    expect(r.out).toMatch(/KiB {2}\w+ dist\/gateway\//);
    expect(r.out).toMatch(/allocation per request: aigw\/bare \d+\.\d\d×/);
    // --promoted: what of it outlived the young generation, per request.
    for (const name of ['bare', 'aigw'])
      expect(r.out).toMatch(new RegExp(`${name}: \\d+\\.\\d\\d KiB outlived the young generation per request`));
    expect(r.out).toMatch(/outlived the young generation per request: aigw\/bare \d+\.\d\d×/);
    // --gc: what each one's collections cost and promoted per request, as V8 reported them.
    for (const name of ['bare', 'aigw'])
      expect(r.out).toMatch(
        new RegExp(
          `${name}: \\d+\\.\\d scavenges per 1,000 requests, \\d+\\.\\d\\d ms each, \\d+\\.\\d\\d µs per request; promoted \\d+ KiB per scavenge, \\d+ bytes per request`,
        ),
      );
    expect(r.out).toMatch(/promoted per request: aigw\/bare \d+\.\d\d×/);
    // --cpu-prof: each one's CPU per request, sampled, and where aigw spends more than the bare proxy (its own files).
    expect(r.out).toMatch(/bare: \d+ requests profiled \(\/.+\/bare\.cpuprofile\)/);
    expect(r.out).toMatch(/busy CPU per request \(sampled\): bare \d+\.\d µs, aigw \d+\.\d µs/);
    expect(r.out).toMatch(/functions aigw spends most more in \(self µs per request\):\n(.+\n)*.*\(dist\//);
    // Pinned (taskset, Linux): what the host took of the gateway's CPU in each load, and over the run.
    if (spawnSync('taskset', ['-V']).error === undefined) {
      expect(r.out).toMatch(/pair 1: .* \| host steal \d+ %, \d+ %/);
      expect(r.out).toMatch(
        /the host took \d+ % of the gateway's CPU \(median of the loads, \d+ %–\d+ %\); (the \d+ pairs under 10 % in both loads: |no pair under 10 %)/,
      );
    }
  }, 120_000);

  it("--paced: paced streams alternated with the upstream reached directly, each gateway's added time to first byte", async () => {
    const r = await run(['bare', 'aigw', '--paced', '--pairs', '2', '--seconds', '1', '--warmup', '1', '--connections', '4']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('paced streams (20 chunks 5 ms apart, one at a time), time to first byte over direct');
    const pair =
      /pair (\d): direct (\d+\.\d{3}) ms \| bare ([+−]\d+\.\d{3}) ms \| aigw ([+−]\d+\.\d{3}) ms \| aigw − bare: ([+−]\d+\.\d{3}) ms \((\d+) and (\d+) streams\)/g;
    const pairs = [...r.out.matchAll(pair)];
    expect(pairs.map((m) => m[1])).toEqual(['1', '2']);
    const signed = (s: string) => Number(s.replace('−', '-').replace('+', ''));
    for (const m of pairs) {
      // Streams of ~100 ms each for a second: several per run, and the difference is the two added times'.
      expect(Number(m[6])).toBeGreaterThanOrEqual(3);
      expect(Number(m[7])).toBeGreaterThanOrEqual(3);
      expect(signed(m[5]!)).toBeCloseTo(signed(m[4]!) - signed(m[3]!), 2);
    }
    expect(r.out).toMatch(
      /median of 2 pairs: time to first byte added over direct \(\d+\.\d{3} ms\): bare [+−]\d+\.\d{3} ms, aigw [+−]\d+\.\d{3} ms; aigw − bare [+−]\d+\.\d{3} ms \([0-2] of 2 pairs within 0\.05 ms\)/,
    );
  });

  it('refuses a baseline target without a baseline build, and an unknown target', async () => {
    const r = await run(['aigw', 'base-tenant']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('base and base-tenant need --baseline DIR');
    expect((await run(['aigw', 'envoy'])).out).toContain('unknown target envoy');
    const nginx = await run(['nginx', 'aigw', '--alloc']);
    expect(nginx.code).toBe(2);
    expect(nginx.out).toContain('--alloc samples Node gateways only, not nginx');
    expect((await run(['aigw', 'nginx', '--gc'])).out).toContain('--gc records Node gateways only, not nginx');
    expect((await run(['nginx', 'aigw', '--cpu-prof'])).out).toContain('--cpu-prof profiles Node gateways only, not nginx');
    expect((await run(['nginx', 'aigw', '--promoted'])).out).toContain('--promoted samples Node gateways only, not nginx');
    const pacedProfiled = await run(['bare', 'aigw', '--paced', '--cpu-prof']);
    expect(pacedProfiled.code).toBe(2);
    expect(pacedProfiled.out).toContain(
      '--paced measures time to first byte alone: not with --stream, --alloc, --promoted, --gc or --cpu-prof',
    );
    expect((await run(['bare', 'aigw', '--null-usage'])).out).toContain(
      '--null-usage shapes streamed chunks: give --stream or --paced too',
    );
    expect((await run(['bare', 'aigw', '--paced', '--stream'])).out).toContain('--paced measures time to first byte alone');
  });
});

describe('bench:overhead', () => {
  it('refuses a --dir it cannot make — a file there, or a path through one — with exit status 2 and why', async () => {
    const script = new URL('../../scripts/bench-overhead.js', import.meta.url).pathname;
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    for (const [at, why] of [
      [file, 'a file is there, not a directory'],
      [join(file, 'below'), 'ENOTDIR'],
    ] as const) {
      const r = await runScript(script, ['--dir', at], 30_000);
      expect(r.code).toBe(2);
      expect(r.out).toContain(`bench-overhead: --dir ${at}: ${why}`);
      expect(r.out).not.toContain('    at '); // a message, not a stack trace
    }
  });
});

describe('bench:micro', () => {
  it('times the store’s admit + settle, the SSE relay and a large body’s parse in this build and a baseline, and prints their ratios', async () => {
    const script = new URL('../../scripts/bench-micro.js', import.meta.url).pathname;
    const here = new URL('../..', import.meta.url).pathname;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [script, '--baseline', here, '--rounds', '1', '--scale', '0.01'],
        { timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    for (const what of [
      'admit \\+ settle, tenant-wide limits',
      'admit \\+ settle, tenant and per-model limits',
      'relay a stream, one event per read',
      'relay a stream, four events per read',
      'the same, `"usage":null` in each chunk \\(OpenAI\\)',
      'the same, and `"obfuscation"` after it \\(OpenAI, 2026\\)',
      "29 characters of text a chunk \\(bench:overhead's timestamps\\)",
      'parse \\+ upstream bytes, 1 MiB, Latin',
      'parse \\+ upstream bytes, 1 MiB, French in Latin-1',
      'parse \\+ upstream bytes, 1 MiB, Cyrillic',
      'parse \\+ upstream bytes, 1 MiB, CJK',
    ])
      expect(out).toMatch(new RegExp(`${what} +this build \\d+ ns, baseline \\d+ ns {2}\\(\\d+\\.\\d\\d× the baseline\\)`));
  });
});
