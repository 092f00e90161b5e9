/**
 * `stream`'s added-TTFT probes against a gateway that stops answering after the load: each probe has an answer's
 * deadline (--duration and the drain), and the pairs stop at the first probe cut at it — not 20 probes of two minutes
 * each, one after the other.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { streamScenario } from '../../../src/bench/stream.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

/** A short stream: two content events, usage, [DONE]. */
const answerStream = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const content of ['a', 'b']) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`);
  res.end(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } })}\n\ndata: [DONE]\n\n`);
};

describe('stream: the added-TTFT probes of a gateway that no longer answers', () => {
  it('stop at the first probe cut at its deadline', async () => {
    // The gateway answers the load, and never answers a probe (it keeps the connection, sends nothing).
    let probes = 0;
    const gateway = await useUpstream((_q, res, body) => {
      if (body.includes('first token')) probes++;
      else answerStream(res);
    });
    const backend = await useUpstream((_q, res) => answerStream(res));
    const ctx = benchContext(
      { url: gateway.url, mocks: {}, backends: { b: backend.url } },
      {
        durationMs: 200,
        drainMs: 300,
        connections: 1,
        profile: { models: { m: { targets: [{ backend: 'b', weight: 1 }] } } } as never,
      },
    );
    const t0 = performance.now();
    const r = await streamScenario(ctx);
    // One probe, cut 0.5 s after it was sent; before, each waited a minute and the drain's, 20 in turn.
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(probes).toBe(1);
    expect(Number(r.figures['stream.completed'])).toBeGreaterThan(0);
    expect(r.figures['stream.addedTtft']).toBeNull();
    expect(r.lines.join('\n')).toContain(`stopped: a probe to ${gateway.url} was cut at its deadline`);
  });
});
