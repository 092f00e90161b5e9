/** One request's record, from a fake response fed to the dispatch handler: timings, grouping, codes. */
import { describe, expect, it } from 'vitest';
import { BenchExchange } from '../../../src/bench/exchange.js';
import type { RequestRecord } from '../../../src/bench/record.js';
import { isCoalesced } from '../../../src/bench/stream.js';

let aborted: unknown;
const controller = { abort: (why: unknown) => (aborted = why) } as never;
const sse = (...contents: string[]) =>
  Buffer.from(contents.map((c) => `data: {"choices":[{"delta":{"content":${JSON.stringify(c)}}}],"system_fingerprint":"b1"}\n\n`).join(''));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function feed(stream: boolean, status: number, parts: (Buffer | number)[], end: 'end' | 'error' = 'end'): Promise<RequestRecord> {
  let out: RequestRecord | undefined;
  const x = new BenchExchange({ stream, keepText: true, origin: performance.now(), done: (r) => (out = r) });
  x.onRequestStart(controller);
  x.onResponseStart(controller, status, { 'x-ratelimit-remaining-tokens': '5', 'content-type': 'x' });
  for (const p of parts) {
    if (typeof p === 'number') await sleep(p);
    else x.onResponseData(controller, p);
  }
  if (end === 'end') x.onResponseEnd();
  else x.onResponseError(controller, Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
  return out!;
}

describe('BenchExchange', () => {
  it('times each content event, counts usage and the backend, and ends ok on [DONE]', async () => {
    const usage = Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\ndata: [DONE]\n\n');
    const r = await feed(true, 200, [sse('a'), 5, sse(' b'), 5, sse(' c'), usage]);
    expect(r).toMatchObject({ ok: true, status: 200, outputTokens: 3, inputTokens: 7, backend: 'b1', text: 'a b c', contentEvents: 3 });
    expect(r.itl).toHaveLength(2);
    expect(r.ttft).toBeGreaterThanOrEqual(0);
    expect(r.limits).toEqual({ 'x-ratelimit-remaining-tokens': '5' });
    expect(r.heldEvents ?? 0).toBe(0);
  });

  it('counts events held back and delivered several to a write (coalescing)', async () => {
    const parts: (Buffer | number)[] = [];
    for (let i = 0; i < 5; i++) parts.push(25, sse('x', ' y', ' z'));
    const r = await feed(true, 200, [...parts, Buffer.from('data: [DONE]\n\n')]);
    expect(r.contentEvents).toBe(15);
    expect(r.contentReads).toBe(5);
    expect(r.heldEvents).toBe(10);
    expect(isCoalesced(r)).toBe(true);
  });

  it.each([
    ['a stream without [DONE]', true, 200, [sse('a')], 'end', 'incomplete_stream'],
    [
      'an error event mid-stream',
      true,
      200,
      [sse('a'), Buffer.from('data: {"error":{"code":"upstream_stream_error"}}\n\n')],
      'end',
      'upstream_stream_error',
    ],
    ['a cut stream', true, 200, [sse('a')], 'error', 'incomplete_stream'],
    [
      'a 429 with its code and limit',
      false,
      429,
      [Buffer.from('{"error":{"code":"rate_limit_exceeded","type":"tokens"}}')],
      'end',
      'rate_limit_exceeded',
    ],
    ['an HTML 502', false, 502, [Buffer.from('<html>bad gateway</html>')], 'end', 'http_502'],
    ['a 200 body cut before its JSON ends', false, 200, [Buffer.from('{"choices":[{"message":')], 'end', 'invalid_body'],
  ] as const)('%s → %s', async (_name, stream, status, parts, end, code) => {
    const r = await feed(stream, status, [...parts], end);
    expect(r.ok).toBe(false);
    expect(r.code).toBe(code);
    if (status === 429) expect(r.errorType).toBe('tokens');
  });

  it('reads a non-streamed answer: usage, backend and text', async () => {
    const body =
      '{"choices":[{"message":{"content":"hello"}}],"usage":{"prompt_tokens":2,"completion_tokens":1},"system_fingerprint":"v2"}';
    expect(await feed(false, 200, [Buffer.from(body)])).toMatchObject({
      ok: true,
      outputTokens: 1,
      inputTokens: 2,
      backend: 'v2',
      text: 'hello',
    });
  });

  it('hostile answers: a terminal escape in a code stays text, an event without end stops at 16 MiB', async () => {
    const r = await feed(false, 403, [Buffer.from('{"error":{"code":"\\u001b[31mred","type":"x"}}')]);
    expect(r.code).toBe('?[31mred');
    aborted = undefined;
    const big = Buffer.alloc(1024 * 1024, 'a');
    const s = await feed(true, 200, [Buffer.from('data: '), ...Array.from({ length: 17 }, () => big)], 'error');
    expect(s.code).toBe('event_too_large');
    expect(aborted).toBeInstanceOf(Error);
  });

  it('a connection that fails before any answer is a connection_error', async () => {
    let out: RequestRecord | undefined;
    const x = new BenchExchange({ stream: false, keepText: false, origin: 0, done: (r) => (out = r) });
    x.onResponseError(controller, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    expect(out).toMatchObject({ ok: false, status: 0, code: 'connection_error' });
  });
});
