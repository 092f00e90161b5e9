/** Faults, quirks, timing, directives and /mock/stats, over raw sockets. */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { chat, postJson, useMock } from '../helpers/mocks.js';
import { rawPost, streamedText } from '../helpers/raw.js';
import { startMock } from '../../src/mock/server.js';
import { startAigw } from '../helpers/cli.js';
import { MockSchema } from '../../src/profile/schema.js';

const mock = await useMock({ name: 'faulty', kind: 'vllm' });
const url = `${mock.url}/v1/chat/completions`;
const stats = async () =>
  (await (await fetch(`${mock.url}/mock/stats`)).json()) as {
    completed: number;
    aborted: { count: number; recent: { atToken: number; stream: boolean }[] };
    faults: Record<string, number>;
    tokens: { completion: number };
    bytesSent: number;
    requests: Record<string, number>;
  };
const stream = (content: string, extra: Record<string, unknown> = {}) => chat(content, { stream: true, ...extra });
const contentEvents = (events: { data?: string }[]) => events.filter((e) => e.data?.includes('"content":"') && !e.data.includes('"role"'));

describe('mock faults', () => {
  it("status:503 answers vLLM's error shape", async () => {
    const r = await postJson(url, chat('x'), { 'x-mock-fault': 'status:503' });
    expect(r.status).toBe(503);
    expect(r.headers.get('x-mock-backend')).toBe('faulty');
    expect(await r.json()).toEqual({
      error: { message: 'Service Unavailable (injected fault)', type: 'InternalServerError', param: null, code: 503 },
    });
  });

  it('the same fault as a [[mock …]] directive in the last user message', async () => {
    const r = await postJson(url, chat('hello [[mock fault=status:429]]'));
    expect(r.status).toBe(429);
  });

  it('reset-before-headers kills the connection before any response', async () => {
    await expect(rawPost(url, chat('x'), { headers: { 'x-mock-fault': 'reset-before-headers' } })).rejects.toThrow(
      /ECONNRESET|socket hang up/,
    );
  });

  it('reset-after:N sends exactly N tokens of a stream, then an RST and no [DONE]', async () => {
    const r = await rawPost(url, stream('reset me', { max_tokens: 50 }), { headers: { 'x-mock-fault': 'reset-after:7' } });
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    expect(streamedText(r.events).split(' ')).toHaveLength(7);
    expect(r.body.toString()).not.toContain('[DONE]');
  });

  it('error-after:N sends N tokens, then an error frame and a clean end, no [DONE]; not streamed, a 500 at once', async () => {
    const r = await rawPost(url, stream('fail me', { max_tokens: 50 }), { headers: { 'x-mock-fault': 'error-after:4' } });
    expect(r.ended).toBe('complete');
    expect(streamedText(r.events).split(' ')).toHaveLength(4);
    expect(JSON.parse(r.events.at(-1)!.data!)).toMatchObject({ error: { type: 'InternalServerError', code: 500 } });
    expect(r.body.toString()).not.toContain('[DONE]');
    expect((await postJson(url, chat('fail me'), { 'x-mock-fault': 'error-after:4' })).status).toBe(500);
  });

  it("error-after:0: the error is the stream's first event (an engine failing at its first step sends no role chunk)", async () => {
    const r = await rawPost(url, stream('fail me', { max_tokens: 50 }), { headers: { 'x-mock-fault': 'error-after:0' } });
    expect(r.status).toBe(200);
    expect(r.events).toHaveLength(1);
    expect(JSON.parse(r.events[0]!.data!)).toMatchObject({ error: { type: 'InternalServerError', code: 500 } });
  });

  it('close-after:N cuts a non-streamed body short of its content-length', async () => {
    const r = await rawPost(url, chat('cut me', { max_tokens: 5000 }), { headers: { 'x-mock-fault': 'close-after:100' } });
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    expect(r.body.length).toBeLessThan(Number(r.headers['content-length']));
  });

  it('stall-after:N goes silent after N tokens until the client leaves, and records the abort', async () => {
    const before = await stats();
    const r = await rawPost(url, stream('stall', { max_tokens: 50 }), { headers: { 'x-mock-fault': 'stall-after:3' }, abortAfterMs: 300 });
    expect(streamedText(r.events).split(' ')).toHaveLength(3);
    await sleep(50);
    const after = await stats();
    expect(after.aborted.count).toBe(before.aborted.count + 1);
    expect(after.aborted.recent.at(-1)).toMatchObject({ atToken: 3, stream: true });
  });

  it('slow-headers:D delays the response headers', async () => {
    const r = await rawPost(url, chat('slow'), { headers: { 'x-mock-fault': 'slow-headers:300ms' } });
    expect(r.status).toBe(200);
    expect(r.headersAt).toBeGreaterThanOrEqual(290);
  });

  it("draws random faults from the profile's seed: the same sequence every time", async () => {
    const settings = { ...MockSchema.parse({ kind: 'vllm' }), name: 'dice', faults: { rate: 0.5, seed: 7, kinds: ['status:503'] } };
    const outcomes = async () => {
      const m = await startMock(settings);
      const seen: number[] = [];
      for (let i = 0; i < 40; i++) seen.push((await postJson(`${m.url}/v1/chat/completions`, chat('x', { max_tokens: 1 }))).status);
      await m.close();
      return seen;
    };
    const a = await outcomes();
    expect(await outcomes()).toEqual(a);
    const failed = a.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
  });
});

describe('mock stream quirks', () => {
  it('ping: SSE comment lines between events', async () => {
    const r = await rawPost(url, stream('ping', { max_tokens: 3 }), { headers: { 'x-mock-quirks': 'ping' } });
    expect(r.body.toString().match(/^: ping$/gm)!.length).toBeGreaterThanOrEqual(3);
    expect(streamedText(r.events).split(' ')).toHaveLength(3);
  });

  it('no-done: the stream ends cleanly without data: [DONE]', async () => {
    const r = await rawPost(url, stream('x', { max_tokens: 3 }), { headers: { 'x-mock-quirks': 'no-done' } });
    expect(r.ended).toBe('complete');
    expect(r.body.toString()).not.toContain('[DONE]');
  });

  it('no-usage: no usage chunk even when asked', async () => {
    const r = await rawPost(url, stream('x', { max_tokens: 3, stream_options: { include_usage: true } }), {
      headers: { 'x-mock-quirks': 'no-usage' },
    });
    expect(r.body.toString()).not.toContain('"usage"');
    expect(r.body.toString()).toContain('[DONE]');
  });

  it('split-utf8: multibyte characters arrive split across TCP reads, and the text is intact', async () => {
    const body = stream('[[mock quirks=split-utf8]] multibyte please', { max_tokens: 200, seed: 3 });
    const r = await rawPost(url, body);
    const torn = r.chunks.filter((c) => c.data.toString('utf8').endsWith('\ufffd'));
    expect(torn.length).toBeGreaterThan(0);
    const key = chatPromptKey((body as { messages: { role: string; content: string }[] }).messages);
    expect(streamedText(r.events)).toBe(generateText(key, 3, 200));
  });
});

describe('mock timing and chunking', () => {
  it('waits ttft for the first token and paces tokens at tps', async () => {
    const r = await rawPost(url, stream('timed', { max_tokens: 10 }), { headers: { 'x-mock-ttft': '200ms', 'x-mock-tps': '50' } });
    const first = r.chunks.find((c) => c.data.includes('"content":"') && !c.data.includes('"role"'));
    expect(first!.at).toBeGreaterThanOrEqual(190);
    // 10 tokens at 50/s after the first: at least 9 gaps of 20 ms.
    expect(r.chunks.at(-1)!.at).toBeGreaterThanOrEqual(200 + 9 * 20 - 15);
    expect(contentEvents(r.events)).toHaveLength(10);
  });

  it('puts tokensPerChunk tokens in each event', async () => {
    const r = await rawPost(url, stream('chunky', { max_tokens: 10 }), { headers: { 'x-mock-chunk-tokens': '4' } });
    expect(contentEvents(r.events).map((e) => JSON.parse(e.data!).choices[0].delta.content.trim().split(' ').length)).toEqual([4, 4, 2]);
  });
});

describe('/mock/stats', () => {
  it('counts requests, completions, tokens and bytes, and a client abort at its token', async () => {
    await fetch(`${mock.url}/mock/reset`, { method: 'POST' });
    const r1 = await rawPost(url, chat('count me', { max_tokens: 10 }));
    const r2 = await rawPost(url, stream('abort me', { max_tokens: 1000 }), { headers: { 'x-mock-tps': '100' }, abortAfterChunks: 10 });
    expect(r2.ended).toBe('aborted');
    await sleep(50);
    const s = await stats();
    expect(s.requests['/v1/chat/completions']).toBe(2);
    expect(s.completed).toBe(1);
    expect(s.aborted.count).toBe(1);
    const at = s.aborted.recent[0]!.atToken;
    expect(at).toBeGreaterThan(5);
    expect(at).toBeLessThan(1000);
    expect(s.tokens.completion).toBe(10 + at);
    // What the mock wrote; the aborted stream may have had a few events in flight when the client left.
    expect(s.bytesSent).toBeGreaterThanOrEqual(r1.body.length + r2.body.length);
    expect(s.bytesSent).toBeLessThan(r1.body.length + r2.body.length + 4096);
  });
});

describe('one request cannot stall the mock for the others', () => {
  it('refuses a max_tokens beyond 100,000,000 (vLLM error shape), and the Anthropic mock too', async () => {
    const r = await postJson(url, chat('x', { max_tokens: 9_000_000_000_000 }));
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string; param: string } }).error).toMatchObject({
      message: 'max_tokens must be at most 100000000, got 9000000000000.',
      param: 'max_tokens',
    });
    const claude = await startMock({ name: 'claude', kind: 'anthropic', port: 0 } as never);
    try {
      const a = await postJson(
        `${claude.url}/v1/messages`,
        { model: 'c', max_tokens: 9_000_000_000_000, messages: [{ role: 'user', content: 'x' }] },
        { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      );
      expect(a.status).toBe(400);
      expect(await a.text()).toMatch(/max_tokens: must be at most 100000000/);
    } finally {
      await claude.close();
    }
  });

  it('answers /health while it counts a 100-million-token answer (seconds of work), in its own process', async () => {
    const proc = await startAigw(['mock-backends', '--vllm', 'm=0'], 1);
    try {
      const base = proc.urls.m!;
      const leave = new AbortController();
      const big = fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify(chat('count me', { max_tokens: 100_000_000 })),
        signal: leave.signal,
      }).catch(() => undefined);
      await sleep(100);
      const during: { status: number; ms: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await fetch(`${base}/health`);
        during.push({ status: r.status, ms: performance.now() - t0 });
      }
      leave.abort();
      await big;
      // Counted in slices, its event loop turns every few ms; counted in one go, /health waited seconds for all of it.
      // The bound, 1 s, is far above a few ms and a stall of a few hundred ms of a busy machine, and below that.
      expect(
        during.every((h) => h.status === 200 && h.ms < 1000),
        JSON.stringify(during),
      ).toBe(true);
    } finally {
      await proc.stop('SIGKILL');
    }
  }, 30_000);
});
