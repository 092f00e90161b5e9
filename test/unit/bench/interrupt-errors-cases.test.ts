/**
 * The `errors` scenario's cases through the official SDKs (their fetch is the bench's, with the answer's deadline) did
 * not hear the run's signal: Ctrl-C, or the scenario's budget, during a case against a target holding its answers waited
 * for that case's answer deadline — --duration and a minute — before the cases left were skipped.
 */
import { describe, expect, it } from 'vitest';
import { errorsScenario } from '../../../src/bench/errors.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

describe('errors, interrupted', () => {
  it.each(['openai', 'anthropic'] as const)(
    'cuts the case in flight (%s)',
    async (api) => {
      const url = await useServer((req) => {
        req.resume();
      });
      const ac = new AbortController();
      const ctx = benchContext({ url, mocks: {} }, { api, durationMs: 1000, drainMs: 19_000, connections: 1, signal: ac.signal });
      const t0 = performance.now();
      const pending = errorsScenario(ctx);
      setTimeout(() => ac.abort(), 200);
      const r = await pending;
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(r.lines.join('\n')).toMatch(/not run/);
    },
    30_000,
  );
});
