/**
 * `split` through a gateway that names no backend — no `x-aigw-backend`, no `system_fingerprint` (vLLM sends none;
 * Envoy AI Gateway or LiteLLM in front of it say nothing): every answer was `unknown`, so each backend read 0 %, `split.p`
 * 0 and the line "the split does NOT match the weights" — a verdict on a split never measured. Now the shares and p are
 * null (no samples: an assertion on them fails as not measured) and the line says no answer named its backend.
 */
import { describe, expect, it } from 'vitest';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

describe('split through a gateway that names no backend', () => {
  it('measures no split, rather than a split that does not match', async () => {
    const up = await useUpstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: 'ok' } }] }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 95, b: 5 }, durationMs: 300, connections: 1 }));
    expect(Number(r.figures['split.requests'])).toBeGreaterThan(0);
    expect(r.figures['split.p']).toBeNull();
    expect(r.figures['split.a']).toBeNull();
    expect(r.lines.join('\n')).not.toContain('does NOT match');
    expect(r.lines.join('\n')).toContain('named its backend');
  });
});
