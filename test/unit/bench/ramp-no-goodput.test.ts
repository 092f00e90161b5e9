/**
 * `ramp.saturationRate` is "the highest offered rate the target still turns into completed answers" (meeting the SLO
 * with --slo). Against a target that turned no rate into any — every stream failed at the first step, or none met the
 * SLO at any step — it read the first step's rate, and `--assert ramp.saturationRate>=20` passed a dead target.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { ramp } from '../../../src/bench/ramp.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const chunk = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
const gate = parseAssertion('ramp.saturationRate>=20');
if (!gate.ok) throw new Error(gate.message);

describe('ramp against a target giving no goodput', () => {
  it('has no saturation rate when every request of its first step failed', async () => {
    const up = await useUpstream((_q, res) =>
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"down","code":"boom"}}'),
    );
    const r = await ramp(benchContext({ url: up.url, mocks: {} }, { rate: 20, rampMax: 80, durationMs: 300 }));
    expect((r.detail as { steps: unknown[] }).steps).toHaveLength(1);
    expect(r.figures['ramp.maxGoodput']).toBe(0);
    expect(r.figures['ramp.saturationRate']).toBeNull();
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
    expect(r.lines[0]).toMatch(/no goodput at any step/);
  });

  it('has no saturation rate when no answer met the SLO at any step', async () => {
    const up = await useUpstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Every first token 40 ms after the request: eight times the SLO's 5 ms.
      setTimeout(() => {
        res.write(chunk({ choices: [{ index: 0, delta: { content: 'hi' } }] }));
        res.end(`${chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}data: [DONE]\n\n`);
      }, 40);
    });
    const r = await ramp(benchContext({ url: up.url, mocks: {} }, { rate: 20, rampMax: 80, durationMs: 300, slo: { ttft: 5 } }));
    expect(r.figures['ramp.maxGoodput']).toBe(0);
    expect(r.figures['ramp.saturationRate']).toBeNull();
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
  });
});
