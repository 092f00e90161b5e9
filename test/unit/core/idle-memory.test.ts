/** Memory given back once a server goes quiet (src/core/idle-memory.ts). */
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { BUSY_UTILISATION, fullCollection, IdleEdge, MIN_SPACING_CHECKS, QUIET_CHECKS } from '../../../src/core/idle-memory.js';

describe('IdleEdge: one collection once QUIET_CHECKS quiet checks in a row follow a busy one, spaced', () => {
  const quiet = (n: number) => Array.from({ length: n }, () => 0);
  const no = (n: number) => Array.from({ length: n }, () => false);
  it.each([
    ['never busy', quiet(QUIET_CHECKS + 2), no(QUIET_CHECKS + 2)],
    ['busy, then quiet long enough', [0.5, 0.001, ...quiet(QUIET_CHECKS)], [false, ...no(QUIET_CHECKS - 1), true, false]],
    // A pause shorter than QUIET_CHECKS is traffic that comes back: collecting there cost the next load its optimized code.
    ['busy, a short pause, busy again: nothing', [0.5, ...quiet(QUIET_CHECKS - 1), 0.5, ...quiet(QUIET_CHECKS - 1)], no(2 * QUIET_CHECKS)],
    ['the threshold itself is busy', [BUSY_UTILISATION, ...quiet(QUIET_CHECKS - 1), BUSY_UTILISATION / 2], [...no(QUIET_CHECKS), true]],
    [
      'bursts: no second collection before MIN_SPACING_CHECKS checks',
      [0.5, ...quiet(QUIET_CHECKS), 0.5, ...quiet(QUIET_CHECKS), ...quiet(MIN_SPACING_CHECKS)],
      // The first at the end of the first pause; the second only once MIN_SPACING_CHECKS have passed since it.
      [...no(QUIET_CHECKS), true, ...no(QUIET_CHECKS + 1), ...no(MIN_SPACING_CHECKS - QUIET_CHECKS - 2), true, ...no(QUIET_CHECKS + 1)],
    ],
  ])('%s', (_name, checks, due) => {
    const edge = new IdleEdge();
    expect(checks.map((u) => edge.check(u))).toEqual(due);
  });
});

describe('fullCollection', () => {
  it("runs V8's full collection without exposing gc to the program", () => {
    const collect = fullCollection();
    expect(collect).toBeTypeOf('function');
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    // Something young to collect: the new space's used bytes fall.
    const junk: unknown[] = [];
    for (let i = 0; i < 20_000; i++) junk.push({ i });
    junk.length = 0;
    const used = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
    const before = used();
    collect!();
    expect(used()).toBeLessThan(before);
  });
});

describe('fullCollection with gc exposed by the user', () => {
  it('uses theirs and leaves the flag as they set it', async () => {
    const { execFileSync } = await import('node:child_process');
    const dist = new URL('../../../dist/core/idle-memory.js', import.meta.url).href;
    const out = execFileSync(
      process.execPath,
      [
        '--expose-gc',
        '--input-type=module',
        '-e',
        `import { fullCollection } from '${dist}'; import { runInNewContext } from 'node:vm';
         const own = globalThis.gc; let called = 0; globalThis.gc = (o) => { called++; return own(o); };
         fullCollection()(); console.log(called, typeof runInNewContext('typeof gc'), runInNewContext('typeof gc'));`,
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('1 string function');
  });
});
