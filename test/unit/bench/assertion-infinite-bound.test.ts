/**
 * An `--assert` bound or tolerance too long for a double (a number of 400 digits: a template that pasted a value twice,
 * a generated bound) was read as Infinity: `errors<999…9` and `ratelimit.ratio=1±999…9` passed whatever was measured — a
 * CI check that can never fail, said `ok`. Such an expression is unreadable now, as `--slo` refuses the same number.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';

const huge = '9'.repeat(400);

describe('--assert with a bound past what a number holds', () => {
  it.each([
    ['errors<N', `throughput.errors<${huge}`],
    ['ratio=1±N', `ratelimit.ratio=1±${huge}`],
    ['p99>-N', `p99>-${huge}`],
    ['p99<Nms', `p99<${huge}ms`],
  ])('refuses %s, N of 400 digits', (_name, expr) => {
    const a = parseAssertion(expr);
    if (a.ok) {
      // What it did: a verdict that passes a run that failed every request.
      const v = evaluate(a.value, { 'throughput.errors': 1, 'ratelimit.ratio': 40, 'throughput.p99': 1e9 });
      expect.fail(`read as ${a.value.bound} ± ${a.value.tol}: ${v.message}`);
    }
    expect(a.message).toContain('cannot read');
  });

  it('still reads a long but finite bound', () => {
    const a = parseAssertion(`p99<${'9'.repeat(300)}`);
    expect(a.ok).toBe(true);
  });
});
