/**
 * `ramp` under `--slo`: its goodput per step was the completed requests per second whatever the SLO said, so a target
 * whose every answer missed `ttft:5ms` by ten times still read as turning 20 req/s into 20 req/s of goodput, and the
 * saturation point the README's `--ramp --slo ttft:200ms,tpot:50ms` example finds was the SLO's no more than without it.
 */
import { describe, expect, it } from 'vitest';
import { ramp } from '../../../src/bench/ramp.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const chunk = (o: object) => `data: ${JSON.stringify(o)}\n\n`;

describe('ramp with --slo', () => {
  it('counts as goodput only the answers that meet the SLO', async () => {
    const up = await useUpstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Every first token 50 ms after the request: ten times the SLO's 5 ms.
      setTimeout(() => {
        res.write(chunk({ choices: [{ index: 0, delta: { content: 'hi' } }] }));
        res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
        res.end('data: [DONE]\n\n');
      }, 50);
    });
    const r = await ramp(benchContext({ url: up.url, mocks: {} }, { rate: 20, rampMax: 20, durationMs: 400, slo: { ttft: 5 } }));
    const steps = (r.detail as { steps: { goodput: number }[] }).steps;
    expect(steps).toHaveLength(1);
    expect(steps[0]!.goodput).toBe(0);
    expect(r.figures['ramp.maxGoodput']).toBe(0);
  });

  it('stops doubling when no step turns its rate into goodput (0 → 0 is no rise)', async () => {
    const up = await useUpstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      setTimeout(() => {
        res.write(chunk({ choices: [{ index: 0, delta: { content: 'hi' } }] }));
        res.end(`${chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}data: [DONE]\n\n`);
      }, 50);
    });
    // Up to 80 req/s: without the stop, a third step at 80 (and on to the step limit without --ramp MAX).
    const r = await ramp(benchContext({ url: up.url, mocks: {} }, { rate: 20, rampMax: 80, durationMs: 300, slo: { ttft: 5 } }));
    expect((r.detail as { steps: unknown[] }).steps).toHaveLength(2);
    expect(r.figures['ramp.saturated']).toBe(true);
  });

  it('without --slo, goodput is what completed', async () => {
    const up = await useUpstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ choices: [{ index: 0, delta: { content: 'hi' } }] }));
      res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
      res.end('data: [DONE]\n\n');
    });
    const r = await ramp(benchContext({ url: up.url, mocks: {} }, { rate: 20, rampMax: 20, durationMs: 400 }));
    expect(Number(r.figures['ramp.maxGoodput'])).toBeGreaterThan(0);
  });
});
