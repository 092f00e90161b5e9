/**
 * What the bench reads beside its target's answers — the admin listener's /aigw/stats and /metrics, the mocks'
 * /mock/stats — from listeners that are not what they should be, on real sockets: a silent or trickling one ends
 * the read at its bound, an endless one is not held, and a count that is not one (NaN, +Inf, a string) gives no
 * figure rather than a NaN one.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { accounting } from '../../../src/bench/accounting.js';
import { cancel } from '../../../src/bench/cancel.js';
import type { BenchContext } from '../../../src/bench/context.js';
import { sideText } from '../../../src/bench/side-read.js';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';
import { backendStats } from '../../helpers/tui.js';

const listen = useServer;

/** Headers, then a byte every 100 ms for ever: no timeout of a plain fetch ever fires. */
const trickle = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  const t = setInterval(() => res.write(' '), 100);
  res.on('close', () => clearInterval(t));
};

/** A target answering chat, streamed or not, with 3 tokens of usage and the backend `b-one`. */
const chatTarget = () =>
  listen((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const usage = { prompt_tokens: 1, completion_tokens: 3 };
      if (text.includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(
          `data: ${JSON.stringify({ choices: [{ delta: { content: 'a b c' } }] })}\n\n` +
            `data: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`,
        );
      } else {
        const body = { system_fingerprint: 'b-one', choices: [{ message: { role: 'assistant', content: 'a b c' } }], usage };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
    });
  });

const context = (url: string, target: Partial<BenchContext['target']> = {}): BenchContext =>
  benchContext({ url, mocks: {}, ...target }, { expect: { 'b-one': 1 } });

describe('a side read', () => {
  it('ends at its deadline on a listener that trickles, and cuts one that never stops sending', async () => {
    const slow = await listen((_q, res) => trickle(res));
    let t0 = performance.now();
    expect(await sideText(slow, { timeoutMs: 300 })).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(2000);
    let sent = 0;
    const endless = await listen((_q, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    t0 = performance.now();
    expect(await sideText(endless, { maxBytes: 1024 * 1024 })).toBeUndefined();
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    const notFound = await listen((_q, res) => res.writeHead(404).end('{}'));
    expect(await sideText(notFound)).toBeUndefined();
  });
});

describe('the scenarios reading an admin listener or a mock that is not what it should be', () => {
  it('split: ends on an admin listener that trickles its /aigw/stats, and gives no agreement figure from it', async () => {
    const url = await chatTarget();
    const admin = await listen((_q, res) => trickle(res));
    const t0 = performance.now();
    // A plain fetch waited on it for good (the test's 30 s went by).
    const r = await split(context(url, { admin }));
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(r.figures['split.b-one']).toBe(100);
    expect(r.figures).not.toHaveProperty('split.gatewayDisagreement');
  });

  it("split: takes no share that is not one (a string, 1e308, -1) for the gateway's figure, and reads one that is", async () => {
    const url = await chatTarget();
    const snapshot = (share: unknown) => ({
      ts: 1,
      windowMs: 60_000,
      inflight: 0,
      models: { m: { requests: 1, backends: { 'b-one': backendStats(1, { share }) } } },
      tenants: {},
    });
    for (const share of ['x', 1e308, -1, 0.9]) {
      const admin = await listen((_q, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot(share))),
      );
      const r = await split(context(url, { admin }));
      // NaN and Infinity, where the listener's shares were read as they came.
      if (share === 0.9) expect(r.figures['split.gatewayDisagreement']).toBe(10);
      else expect(r.figures, String(share)).not.toHaveProperty('split.gatewayDisagreement');
      expect(r.lines.join('\n')).not.toMatch(/NaN|Infinity/);
    }
  });

  it('accounting: a NaN or +Inf in /metrics and a string in /mock/stats are no counts: n/a, never a NaN figure', async () => {
    const url = await chatTarget();
    const admin = await listen((_q, res) =>
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(
          'gen_ai_client_token_usage_sum{gen_ai_token_type="output",gen_ai_original_model="m"} NaN\n' +
            'gen_ai_client_token_usage_sum{gen_ai_token_type="output",gen_ai_original_model="m",x="y"} +Inf\n',
        ),
    );
    const mock = await listen((_q, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens: { completion: 'many' } })),
    );
    const r = await accounting(context(url, { admin, mocks: { b: mock } }));
    expect(r.figures['accounting.gateway']).toBeNull();
    expect(r.figures['accounting.mock']).toBeNull();
    expect(r.figures['accounting.client']).toBe(120);
    expect(Number.isFinite(r.figures['accounting.disagreement'])).toBe(true);
    expect(r.lines.join('\n')).toMatch(/backends sent n\/a, gateway counted n\/a/);
  });

  it('cancel: reads only numbers from /mock/stats, and goes on past a mock that trickles', async () => {
    // The records a phase's request adds (a phase's own are those written after it began): a null, a stamp that is no
    // number, a token count that is none.
    const recent: unknown[] = [];
    const url = await listen((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () =>
        recent.push(
          null,
          { ts: 'soon', atToken: 'x' },
          { ts: Date.now() + 10_000_000, atToken: {}, stream: body.includes('"stream":true') },
        ),
      );
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const t = setInterval(() => res.write(': ping\n\n'), 50);
      res.on('close', () => clearInterval(t));
    });
    const mock = await listen((_q, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ aborted: { recent } })),
    );
    const silent = await listen((_q, res) => trickle(res));
    const r = await cancel(context(url, { mocks: { a: mock, b: silent } }));
    for (const [k, v] of Object.entries(r.figures)) if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
    expect(r.lines.join('\n')).toMatch(/at token 0\)/);
  }, 60_000);
});
