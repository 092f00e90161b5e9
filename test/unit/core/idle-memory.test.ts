/** Memory given back once a server goes quiet (src/core/idle-memory.ts). */
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { BUSY_UTILISATION, fullCollection, IdleEdge, MIN_SPACING_CHECKS } from '../../../src/core/idle-memory.js';

describe('IdleEdge: one collection per quiet check that follows a busy one, spaced', () => {
  it.each([
    ['never busy', [0, 0, 0], [false, false, false]],
    ['busy, then quiet', [0.5, 0.001, 0], [false, true, false]],
    ['busy for a while, quiet, busy again, quiet too soon', [0.3, 0.9, 0, 0, 0.2, 0], [false, false, true, false, false, false]],
    ['the threshold itself is busy', [BUSY_UTILISATION, BUSY_UTILISATION / 2], [false, true]],
    [
      'bursts: no second collection before MIN_SPACING_CHECKS checks',
      [0.5, 0, ...Array.from({ length: MIN_SPACING_CHECKS - 2 }, (_, i) => (i % 2 ? 0 : 0.5)), 0.5, 0],
      [false, true, ...Array.from({ length: MIN_SPACING_CHECKS - 2 }, () => false), false, true],
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
