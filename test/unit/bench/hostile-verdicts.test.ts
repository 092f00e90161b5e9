/**
 * Verdicts the bench gives about a target, on real sockets, where the target's answer does not support them: a 200
 * whose body is an error is no completed answer; admitted tokens the answers do not count (or count without
 * total_tokens, as every Anthropic Message does) are not "0 tokens admitted"; accounting with no request sent has no
 * agreement to report; a non-streamed long answer whose text stops inside its last token is not complete; sweep
 * proves no size with an answer or a stream that ended cleanly short of its text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { BenchContext } from '../../../src/bench/context.js';
import { runLoad } from '../../../src/bench/driver.js';
import { accounting } from '../../../src/bench/accounting.js';
import { long } from '../../../src/bench/long.js';
import { Pacer } from '../../../src/bench/pacer.js';
import { ratelimit } from '../../../src/bench/ratelimit.js';
import { sweep } from '../../../src/bench/sweep.js';
import { throughput } from '../../../src/bench/throughput.js';
import { prepared } from '../../../src/bench/workload.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import type { ChatMessage } from '../../../src/openai/wire.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

/** Answers each request, its body read as JSON, with `answer`. */
const target = (answer: (body: Record<string, unknown>, res: ServerResponse, req: IncomingMessage) => void) =>
  useServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>, res, req));
  });

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** The mocks' text for a request's prompt and seed: what a whole answer holds. */
const textOf = (body: Record<string, unknown>, tokens: number) =>
  generateText(chatPromptKey(body.messages as ChatMessage[]), body.seed as number | undefined, tokens);

describe('a 200 whose body is an error, not an answer', () => {
  it.each([
    ['an error object', { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } }],
    ['an error without a code', { error: { message: 'upstream failed' } }],
    ['no choices at all', { object: 'chat.completion', usage: { prompt_tokens: 1, completion_tokens: 1 } }],
    ['an empty choices array', { object: 'chat.completion', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }],
    ['a choice without a message', { object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop' }] }],
    ['a null choice', { object: 'chat.completion', choices: [null] }],
  ])('is a failure of the load (%s), and throughput counts it in its errors', async (_name, body) => {
    const url = await target((_b, res) => json(res, 200, body));
    let given = 0;
    const once = { next: () => (given++ ? undefined : prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }] })) };
    const r = await runLoad({ url, headers: {}, source: once, stream: false, durationMs: 60_000, maxRequests: 1, connections: 1 });
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.ok).toBe(false);
    const t = await throughput(benchContext({ url, mocks: {} }, { durationMs: 200, connections: 1 }));
    expect(t.figures['throughput.completed']).toBe(0);
    expect(t.figures['throughput.errors']).toBe(1);
  });

  it.each([
    ['a tool call (content null)', { choices: [{ message: { content: null, tool_calls: [] }, finish_reason: 'tool_calls' }] }],
    ["a completion's text", { choices: [{ text: 'ok', finish_reason: 'stop' }] }],
  ])('still counts an answer a client reads as completed (%s)', async (_name, body) => {
    const url = await target((_b, res) => json(res, 200, body));
    const t = await throughput(benchContext({ url, mocks: {} }, { durationMs: 200, connections: 1 }));
    expect(t.figures['throughput.errors']).toBe(0);
  });

  it('still counts a whole answer as completed', async () => {
    const url = await target((_b, res) => json(res, 200, { choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } }));
    const t = await throughput(benchContext({ url, mocks: {} }, { durationMs: 200, connections: 1 }));
    expect(t.figures['throughput.errors']).toBe(0);
    expect(Number(t.figures['throughput.completed'])).toBeGreaterThan(0);
  });
});

describe('ratelimit against a target that admits every request', () => {
  /** The scenario with a tenant limited to 1,000 tokens per 300 ms window, for 1 s. */
  const run = (url: string, over: Partial<BenchContext> = {}) =>
    ratelimit(
      benchContext(
        { url, mocks: {} },
        {
          limitedKey: 'k',
          profile: { tenants: { t: { keys: ['k'], limits: { tpm: 1000 } } }, limits: { rateWindow: 300 } } as never,
          durationMs: 1000,
          ...over,
        },
      ),
    );

  it('counts the tokens of an Anthropic Message (input and output, no total) as admitted (--api anthropic)', async () => {
    const url = await target((_b, res) =>
      json(res, 200, {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'ok' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 5, output_tokens: 20 },
      }),
    );
    const r = await run(url, { api: 'anthropic' });
    // Every request got in: far more than the limit a window.
    expect(r.figures['ratelimit.ratio']).toBeGreaterThan(1.5);
  });

  it('counts prompt and completion tokens as admitted when the usage has no total', async () => {
    const url = await target((_b, res) =>
      json(res, 200, { choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 5, completion_tokens: 20 } }),
    );
    const r = await run(url);
    expect(r.figures['ratelimit.ratio']).toBeGreaterThan(1.5);
  });

  it('gives no ratio when the admitted answers carry no token count: not "0 tokens admitted, under the limit"', async () => {
    const url = await target((_b, res) => json(res, 200, { choices: [{ message: { content: 'ok' } }] }));
    const r = await run(url);
    expect(r.figures['ratelimit.ratio']).toBeNull();
    expect(r.figures['ratelimit.maxWindowRatio']).toBeNull();
    expect(r.figures['ratelimit.admittedPerWindow']).toBeNull();
    expect(r.lines.join('\n')).toMatch(/no token count/);
  });
});

describe('accounting when no request could be sent', () => {
  it('gives no disagreement figure: nothing compared is not an agreement', async () => {
    let asked = 0;
    const url = await target((_b, res) => {
      asked++;
      json(res, 200, { choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } });
    });
    // What an earlier scenario learnt: the target limits this key to 1 token a window, which no request fits.
    const pacer = new Pacer(60_000, () => {});
    pacer.observe({ status: 200, limits: { 'x-ratelimit-limit-tokens': '1', 'x-ratelimit-remaining-tokens': '1' } });
    const r = await accounting(benchContext({ url, mocks: {} }, { pacer }));
    expect(asked).toBe(0);
    expect(r.figures['accounting.disagreement']).toBeNull();
    expect(r.lines[0]).toMatch(/no samples/);
  });
});

describe('long when no answer could be sent', () => {
  it('gives no truncation count: every size skipped under the target\'s token limit is not "none truncated"', async () => {
    let asked = 0;
    const url = await target((_b, res) => {
      asked++;
      json(res, 200, { choices: [{ message: { content: 'ok' } }] });
    });
    // The target said this key has 1,000 tokens a window: a 256 KiB answer is over a quarter of it.
    const pacer = new Pacer(60_000, () => {});
    pacer.observe({ status: 200, limits: { 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '1000' } });
    const r = await long(benchContext({ url, mocks: {} }, { pacer, longSizes: [256 * 1024] }));
    expect(asked).toBe(0);
    expect(r.figures).toMatchObject({ 'long.truncations': null, 'long.skipped': 2, 'long.cases': 2 });
    expect(r.lines[0]).toMatch(/none measured/);
  });
});

describe('long, a non-streamed answer whose text stops inside its last token', () => {
  it('is not complete: the JSON is whole and every word there, the last one short', async () => {
    const url = await target((body, res) => {
      const tokens = Number(body.max_tokens);
      const full = textOf(body, tokens);
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify({ choices: [{ delta: { content: full } }] })}\n\ndata: [DONE]\n\n`);
        return;
      }
      // One character short: the last word cut, the words all there.
      const cut = Array.from(full).slice(0, -1).join('');
      json(res, 200, { choices: [{ message: { role: 'assistant', content: cut } }] });
    });
    const r = await long(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, longSizes: [256 * 1024] }));
    expect(r.lines.join('\n')).toMatch(/256KiB stream\s+complete/);
    expect(r.lines.join('\n')).not.toMatch(/256KiB body\s+complete/);
    expect(r.figures['long.truncations']).toBe(1);
  });
});

/** The whole answer the mocks' text for `body` is: streamed as one event and [DONE], or one JSON body. */
function wholeAnswer(body: Record<string, unknown>, res: ServerResponse): void {
  const full = textOf(body, Number(body.max_tokens));
  if (body.stream === true) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${JSON.stringify({ choices: [{ delta: { content: full } }] })}\n\ndata: [DONE]\n\n`);
  } else json(res, 200, { choices: [{ message: { role: 'assistant', content: full } }] });
}

describe('sweep against a target that ends each answer cleanly after its first words', () => {
  it('proves no answer or stream size: a short text under a whole JSON or a clean [DONE] is a cut', async () => {
    const url = await target((body, res) => {
      const head = textOf(body, 10);
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify({ choices: [{ delta: { content: head } }] })}\n\ndata: [DONE]\n\n`);
      } else json(res, 200, { choices: [{ message: { role: 'assistant', content: head } }] });
    });
    const r = await sweep(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, longSizes: [256 * 1024] }));
    // The request bodies were all accepted.
    expect(r.figures['sweep.requestBytes']).toBe(256 * 1024);
    expect(r.figures['sweep.answerBytes']).toBe(0);
    expect(r.figures['sweep.streamBytes']).toBe(0);
    expect(r.lines.join('\n')).toMatch(/largest non-streamed answer 0KiB \(beyond: .*\d+ bytes of text/);
    expect(r.lines.join('\n')).toMatch(/largest stream 0KiB \(beyond: .*\d+ bytes of text/);
  });

  it('proves no request size a 200 error body answered: the largest passing is below the first such answer', async () => {
    const url = await target((body, res) => {
      // A gateway that says "too large" with status 200, past 100 KiB of request.
      if (JSON.stringify(body).length > 100 * 1024)
        return json(res, 200, { error: { message: 'request too large', type: 'invalid_request_error', code: 'request_too_large' } });
      wholeAnswer(body, res);
    });
    const r = await sweep(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, longSizes: [256 * 1024] }));
    expect(r.figures['sweep.requestBytes']).toBeGreaterThanOrEqual(64 * 1024);
    expect(r.figures['sweep.requestBytes']).toBeLessThan(100 * 1024);
    expect(r.lines.join('\n')).toMatch(/largest request body .*\(beyond: 200 request_too_large: an error body\)/);
    // The answers themselves were whole.
    expect(r.figures).toMatchObject({ 'sweep.answerBytes': 256 * 1024, 'sweep.streamBytes': 256 * 1024 });
  });

  it('still proves the sizes a whole answer passes', async () => {
    const url = await target((body, res) => {
      wholeAnswer(body, res);
    });
    const r = await sweep(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, longSizes: [256 * 1024] }));
    expect(r.figures).toMatchObject({ 'sweep.answerBytes': 256 * 1024, 'sweep.streamBytes': 256 * 1024 });
  });
});
