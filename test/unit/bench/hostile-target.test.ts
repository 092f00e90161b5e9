/**
 * The bench against a target that is not a well-behaved gateway, on real sockets: it stays bounded in time
 * and memory and says what it saw — a stream that never ends is cut once the run is over, an absurd limit
 * header cannot stall it, a token count no answer can have and an event that is not JSON are faults, and a
 * redirect is an answer, never an address to post the prompt to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { BenchContext } from '../../../src/bench/context.js';
import { BenchExchange } from '../../../src/bench/exchange.js';
import { runLoad } from '../../../src/bench/driver.js';
import { targetOnlyFetch } from '../../../src/bench/errors-anthropic.js';
import { LiveFeed, liveLine } from '../../../src/bench/live.js';
import { tallyRefusals } from '../../../src/bench/metrics.js';
import { Pacer } from '../../../src/bench/pacer.js';
import { errorsScenario } from '../../../src/bench/errors.js';
import { long } from '../../../src/bench/long.js';
import { split } from '../../../src/bench/split.js';
import { type RequestRecord, usageCount } from '../../../src/bench/record.js';
import { prepared } from '../../../src/bench/workload.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { anthropicEvent, messageStart } from '../../helpers/anthropic-sse.js';
import { useServer } from '../../helpers/upstream.js';

const target = useServer;

/** A source of exactly one request. */
const once = () => {
  let given = false;
  return {
    next: () => {
      if (given) return undefined;
      given = true;
      return prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 });
    },
  };
};

const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });

/** A scenario's context with a short --duration and drain: an answer is cut 0.4 s after it was asked for. */
const deadlineContext = (url: string, over: Partial<BenchContext> = {}) =>
  benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 300, connections: 1, ...over });
const chunk = (extra: object) => `data: ${JSON.stringify({ choices: [{ delta: { content: 'ok' } }], ...extra })}\n\n`;

describe('a run against a hostile target ends', () => {
  it('cuts a stream that never ends once the run is over, recorded as cut_at_deadline', async () => {
    const url = await target((_q, res) => {
      sse(res);
      res.write(chunk({}));
      const t = setInterval(() => res.write(': ping\n\n'), 50);
      res.on('close', () => clearInterval(t));
    });
    const t0 = performance.now();
    const r = await runLoad({ url, headers: {}, source: once(), stream: true, durationMs: 200, connections: 1, drainMs: 300 });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ ok: false, code: 'cut_at_deadline' });
  });

  it('cuts a request whose headers never come, and a body that trickles', async () => {
    for (const hang of [
      (_q: IncomingMessage, _res: ServerResponse) => {},
      (_q: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000000' });
        const t = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(t));
      },
    ]) {
      const url = await target(hang);
      const r = await runLoad({ url, headers: {}, source: once(), stream: false, durationMs: 100, connections: 1, drainMs: 300 });
      expect(r.records.map((x) => x.code)).toEqual(['cut_at_deadline']);
    }
  });
});

describe('what the bench believes of a target', () => {
  const exchange = async (body: string, stream: boolean): Promise<RequestRecord> => {
    const url = await target((_q, res) => {
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' }).end(body);
    });
    const r = await runLoad({ url, headers: {}, source: once(), stream, durationMs: 50, connections: 1 });
    return r.records[0]!;
  };

  it('takes no token count an answer cannot have', async () => {
    for (const usage of [
      { completion_tokens: -19868989 },
      { completion_tokens: 1e308 },
      { completion_tokens: 2.5 },
      { prompt_tokens: -1 },
    ]) {
      const nonStreamed = await exchange(JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage }), false);
      expect(nonStreamed, JSON.stringify(usage)).toMatchObject({ ok: false, code: 'invalid_usage', outputTokens: 0 });
      const streamed = await exchange(`${chunk({})}${chunk({ usage })}data: [DONE]\n\n`, true);
      expect(streamed, JSON.stringify(usage)).toMatchObject({ ok: false, code: 'invalid_usage' });
    }
    expect(
      await exchange(JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 7 } }), false),
    ).toMatchObject({
      ok: true,
      outputTokens: 7,
    });
  });

  it('counts a stream with an event that is not JSON as failed, though it ended with [DONE]', async () => {
    const r = await exchange(`${chunk({})}data: {not json\n\ndata: [DONE]\n\n`, true);
    expect(r).toMatchObject({ ok: false, code: 'invalid_event' });
  });

  it('paces under no limit that is not a whole number (0.001 requests per window would stall it for ever)', async () => {
    const notices: string[] = [];
    const pacer = new Pacer(60_000, (l) => notices.push(l));
    pacer.observe({ status: 200, limits: { 'x-ratelimit-limit-requests': '0.001', 'x-ratelimit-remaining-requests': '0' } });
    expect(pacer.active).toBe(false);
    const a = await pacer.acquire(10);
    expect(a.ok).toBe(true);
  });

  it('follows no redirect out of the target with the official SDKs', async () => {
    let elsewhere = 0;
    const other = await target((_q, res) => {
      elsewhere++;
      res.writeHead(200).end('{}');
    });
    const url = await target((_q, res) => res.writeHead(307, { location: `${other}/v1/chat/completions` }).end());
    const r = await targetOnlyFetch(`${url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(307);
    expect(elsewhere).toBe(0);
  });
});

describe('token counts read from a target answer', () => {
  it.each([
    ['{"usage":{"completion_tokens":7}}', 7],
    ['not json', 0],
    ['null', 0],
    ['{"usage":null}', 0],
    ['{"usage":{"completion_tokens":"7"}}', 0],
    ['{"usage":{"completion_tokens":-1}}', 0],
    ['{"usage":{"completion_tokens":1e400}}', 0],
    ['{"usage":{"__proto__":{"completion_tokens":5}}}', 0],
    // Two such answers summed to Infinity (ratelimit's windows, accounting's total).
    ['{"usage":{"completion_tokens":1e300}}', 0],
    ['{"usage":{"completion_tokens":2.5}}', 0],
    ['{"usage":{"completion_tokens":1000000000000}}', 1e12],
  ])('%s → %d', (text, n) => {
    expect(usageCount(text, 'completion_tokens')).toBe(n);
  });
});

describe('the split scenario against a target naming its backends', () => {
  it('counts a backend called constructor or __proto__ as any other: a 50/50 answer to an expected 100/0 fails the chi-square', async () => {
    const names = ['constructor', 'b-one', '__proto__', 'b-one'];
    let i = 0;
    const url = await target((req, res) => {
      req.resume();
      req.on('end', () => {
        const fp = names[i++ % names.length];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            system_fingerprint: fp,
            choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
          }),
        );
      });
    });
    // A second of load: a loaded machine still answers the handful of requests the shares need. The names cycle, so
    // from 4 requests on each of the two odd names has at least 1 in 6 (6 requests: 2 constructor, 1 __proto__).
    const r = await split(benchContext({ url, mocks: {} }, { expect: { 'b-one': 1 }, durationMs: 1000 }));
    const total = Number(r.figures['split.requests']);
    expect(total).toBeGreaterThanOrEqual(4);
    const share = (n: string) => Number(r.figures[`split.${n}`]);
    expect(share('b-one') + share('constructor') + share('__proto__')).toBeCloseTo(100, 1);
    expect(share('constructor')).toBeGreaterThan(15);
    expect(share('__proto__')).toBeGreaterThan(15);
    expect(r.figures['split.p']).toBeLessThan(0.01);
  });
});

describe('the split scenario against a target whose backends are named as its figures', () => {
  it('a backend named p, requests, gatewayDisagreement or stickiness is shown, never taken for that figure', async () => {
    const names = ['gatewayDisagreement', 'p', 'requests', 'stickiness', 'b.ciLow'];
    let i = 0;
    const url = await target((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            system_fingerprint: names[i++ % 5],
            choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
          }),
        );
      });
    });
    // No weights known and no admin listener: neither split.p nor split.gatewayDisagreement is measured.
    const r = await split(benchContext({ url, mocks: {} }));
    expect(Number(r.figures['split.requests'])).toBeGreaterThanOrEqual(5);
    expect(r.figures['split.p']).toBeUndefined();
    expect(r.figures['split.gatewayDisagreement']).toBeUndefined();
    expect(r.figures['split.stickiness']).toBeUndefined();
    expect(r.figures['split.b.ciLow']).toBeUndefined();
    expect(r.lines.join('\n')).toContain('gatewayDisagreement');
    expect(r.lines.join('\n')).toContain('not a figure');
  });
});

describe('the long scenario against a target that trickles or never answers', () => {
  it.each([
    ['a byte every 20 ms (every timeout sees progress; the answer would take hours)', 'trickle'],
    ['no answer at all (headers would be waited for 5 minutes)', 'silent'],
  ])('cuts an answer still coming a minute after --duration: %s', async (_name, how) => {
    const url = await target((req, res) => {
      req.resume();
      if (how === 'silent') return;
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(t));
    });
    const t0 = performance.now();
    const r = await long(deadlineContext(url, { longSizes: [256 * 1024, 1024 * 1024] }));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.figures).toMatchObject({ 'long.errors': 1, 'long.truncations': null, 'long.skipped': 3 });
    expect(r.lines.join('\n')).toMatch(/256KiB body\s+error cut_at_deadline: still coming 0.4s after it was asked for/);
    expect(r.lines.join('\n')).toMatch(/1MiB stream not sent: an earlier answer was cut at its deadline/);
  });
});

describe('the errors scenario against a target that never finishes an answer', () => {
  it.each(['openai', 'anthropic'] as const)(
    'ends each case at its deadline (%s): headers and pings keep every timeout quiet',
    async (api) => {
      const url = await target((req, res) => {
        req.resume();
        sse(res);
        const t = setInterval(() => res.write(': ping\n\n'), 20);
        res.on('close', () => clearInterval(t));
      });
      const t0 = performance.now();
      const r = await errorsScenario(deadlineContext(url, { api }));
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(r.lines.join('\n')).toMatch(/FAIL unknown model/);
    },
  );
});

describe("the errors scenario's mid-stream case against a target that never says the stream failed", () => {
  /**
   * Answers the case's `break` request (every other with a 500) with three chunks, then: `hang` keeps the stream open
   * with pings, `silent` never answered at all, `error` sends the error event a client reads as the failure and ends.
   */
  const breaking = (api: 'openai' | 'anthropic', after: 'hang' | 'silent' | 'error') =>
    target((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        if (!text.includes('break'))
          return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"x"}}');
        if (after === 'silent') return;
        sse(res);
        if (api === 'openai') for (let i = 0; i < 3; i++) res.write(chunk({}));
        else {
          res.write(messageStart({ input_tokens: 1, output_tokens: 0 }));
          res.write(anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
          for (let i = 0; i < 3; i++)
            res.write(anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'ok' } }));
        }
        if (after === 'error') {
          const error = { type: 'api_error', message: 'upstream reset' };
          return void res.end(api === 'openai' ? `data: ${JSON.stringify({ error })}\n\n` : anthropicEvent('error', { error }));
        }
        const t = setInterval(() => res.write(': ping\n\n'), 20);
        res.on('close', () => clearInterval(t));
      });
    });

  it.each([
    ['openai', 'hang'],
    ['openai', 'silent'],
    ['anthropic', 'hang'],
    ['anthropic', 'silent'],
  ] as const)(
    'fails the case (%s, %s): a stream cut at its deadline is the bench giving up, not the stream throwing',
    async (api, after) => {
      const url = await breaking(api, after);
      const r = await errorsScenario(deadlineContext(url, { api }));
      expect(r.lines.join('\n')).toMatch(/FAIL mid-stream failure/);
    },
  );

  it.each(['openai', 'anthropic'] as const)('passes it when the stream says it failed (%s)', async (api) => {
    const url = await breaking(api, 'error');
    // A long deadline: this stream ends on its own, and a loaded machine's pause past 0.4 s would have cut it.
    const r = await errorsScenario(deadlineContext(url, { api, durationMs: 5000, drainMs: 5000 }));
    expect(r.lines.join('\n')).toMatch(/ok\s+mid-stream failure/);
  });
});

describe('the long scenario against a target whose JSON is not the shape asked for', () => {
  /** Answers every request with `body` (its status `status`); a stream request gets `events` when given. */
  const shaped = (status: number, body: string, events?: string) =>
    target((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const streamed = text.includes('"stream":true');
        if (streamed && events !== undefined) res.writeHead(200, { 'content-type': 'text/event-stream' }).end(events);
        else res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      });
    });

  it('takes a whole answer without text (content null, a number) for a corrupted one, and goes on', async () => {
    const url = await shaped(
      200,
      JSON.stringify({ choices: [{ message: { role: 'assistant', content: null } }] }),
      `data: ${JSON.stringify({ choices: [{ delta: { content: 5 } }] })}\n\ndata: ${JSON.stringify({ choices: [{ delta: { content: {} } }] })}\n\ndata: [DONE]\n\n`,
    );
    const r = await long(deadlineContext(url, { longSizes: [256 * 1024] }));
    expect(r.lines.join('\n')).toMatch(/256KiB body\s+corrupted: a whole answer without its text/);
    expect(r.lines.join('\n')).toMatch(/256KiB stream\s+truncated at \d+ bytes \(0 of the text\), though the stream ended cleanly/);
    expect(r.figures).toMatchObject({ 'long.cases': 2, 'long.errors': 0, 'long.truncations': 2 });
  });

  it('counts a stream that ends with [DONE] short of its text as truncated, not complete', async () => {
    // The first words of the mocks' text for this very prompt (what a gateway that cut the stream cleanly relays).
    const key = chatPromptKey([{ role: 'user', content: 'a long answer of 256KiB [[mock ttft=0ms tps=0 chunk=64]]' }]);
    const head = generateText(key, 11, 10);
    const url = await shaped(
      200,
      JSON.stringify({ choices: [{ message: { role: 'assistant', content: head } }] }),
      `${chunk({ choices: [{ delta: { content: head } }] })}data: [DONE]\n\n`,
    );
    const r = await long(deadlineContext(url, { longSizes: [256 * 1024] }));
    // A prefix of the text in whole JSON is a cut (long-body-text-cut.test.ts), not a corruption.
    expect(r.lines.join('\n')).toMatch(/256KiB body\s+truncated at \d+ bytes: a whole JSON body holding \d+ bytes of the text/);
    expect(r.lines.join('\n')).toMatch(/256KiB stream\s+truncated at \d+ bytes \(\d+ of the text\), though the stream ended cleanly/);
    expect(r.figures).toMatchObject({ 'long.truncations': 2, 'long.truncatedAt': expect.any(Number) });
  });

  it('reads an Anthropic body whose content holds null as the status it came with (--api anthropic)', async () => {
    const url = await shaped(500, JSON.stringify({ type: 'message', content: [null, 5, { type: 'text', text: 'x' }] }));
    const r = await long(deadlineContext(url, { api: 'anthropic', longSizes: [256 * 1024] }));
    expect(r.lines.join('\n')).toMatch(/256KiB body\s+error HTTP 500/);
    expect(r.lines.join('\n')).toMatch(/256KiB stream\s+error HTTP 500/);
    expect(r.figures).toMatchObject({ 'long.errors': 2 });
  });
});

describe('the text the bench keeps of a target that answers at length in small deltas', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const deltas = (n: number, content = 'ok') => {
    const one = `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`;
    return Buffer.from(one.repeat(n));
  };

  it("keeps no answer's text in the records once read: 16 streams of 1,000,000 characters leave the heap where it was", async () => {
    const body = Buffer.concat([deltas(1000, 'x'.repeat(1000)), Buffer.from('data: [DONE]\n\n')]);
    const url = await target((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(body));
    });
    const source = { next: () => prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }) };
    const texts: number[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    const r = await runLoad({
      url,
      headers: {},
      source,
      stream: true,
      keepText: true,
      durationMs: 60_000,
      maxRequests: 16,
      connections: 1,
      onRecord: (rec) => texts.push(rec.text?.length ?? -1),
    });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(r.records).toHaveLength(16);
    // The check still saw each answer's text whole.
    expect(texts).toEqual(new Array(16).fill(1_000_000));
    // Kept in the records for the run, the texts were 16 MB (a longer run: as many more as it has answers).
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it('holds a long text of 2-character deltas in about its own size while it arrives', () => {
    let out: RequestRecord | undefined;
    const x = new BenchExchange({ stream: true, keepText: true, origin: performance.now(), done: (rec) => (out = rec) });
    const controller = { abort: () => {} } as never;
    x.onRequestStart(controller);
    x.onResponseStart(controller, 200, {});
    const chunk = deltas(1000, 'ab');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) x.onResponseData(controller, chunk);
    x.onResponseData(controller, Buffer.from('data: [DONE]\n\n'));
    x.onResponseEnd();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(out!.text).toBe('ab'.repeat(200_000));
    // A delta at a time, one string: ~10 MB for these 400,000 characters (its gaps, 200,000 numbers, are 1.6 MB).
    expect(grown).toBeLessThan(5 * 1024 * 1024);
  });

  it('keeps at most 1 Mi characters of a streamed text', () => {
    let out: RequestRecord | undefined;
    const x = new BenchExchange({ stream: true, keepText: true, origin: performance.now(), done: (rec) => (out = rec) });
    const controller = { abort: () => {} } as never;
    x.onRequestStart(controller);
    x.onResponseStart(controller, 200, {});
    const chunk = deltas(100, 'x'.repeat(1000));
    for (let i = 0; i < 20; i++) x.onResponseData(controller, chunk);
    x.onResponseData(controller, Buffer.from('data: [DONE]\n\n'));
    x.onResponseEnd();
    expect(out!.text!.length).toBeLessThanOrEqual(1024 * 1024);
    expect(out!.text!.length).toBeGreaterThan(1000 * 1000);
    expect(out!.contentEvents).toBe(2000);
  });
});

describe('the failures of a target that answers each request with a code of its own', () => {
  it('tells at most 64 kinds apart and counts the rest as "other": the live line and the summary stay short', async () => {
    let n = 0;
    const url = await target((req, res) => {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: `code-${n++}-${'x'.repeat(50)}` } })),
      );
    });
    const live = new LiveFeed();
    live.begin('throughput');
    const source = { next: () => prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }) };
    const r = await runLoad({ url, headers: {}, source, stream: false, durationMs: 60_000, maxRequests: 300, connections: 4, live });
    expect(r.records).toHaveLength(300);
    for (const tally of [tallyRefusals(r.records), live.refusals()]) {
      expect(tally.length).toBe(65);
      expect(tally.reduce((a, x) => a + x.count, 0)).toBe(300);
      expect(tally[0]).toEqual({ status: 400, code: 'other', count: 300 - 64 });
    }
    // Every code one by one, the line was ~25 KB here, and grew with every request.
    expect(liveLine(live.snapshot()).length).toBeLessThan(7000);
  });
});

describe('the notices of a target that names a new limit at each refusal', () => {
  it('says at most 16, and then that it leaves the rest out', () => {
    const lines: string[] = [];
    const pacer = new Pacer(60_000, (l) => lines.push(l));
    for (let i = 0; i < 1000; i++) pacer.observe({ status: 429, errorType: `limit-${i}`, limits: {} });
    expect(lines).toHaveLength(17);
    expect(pacer.seen).toEqual(lines);
    expect(lines[16]).toMatch(/further notices .* left out/);
    expect(lines[0]).toMatch(/^429 limit-0: the target rate-limits this key/);
  });
});
