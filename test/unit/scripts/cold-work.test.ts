import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { coldWork, formatColdWork } from '../../../scripts/lib/cold-work.js';

describe("bench:overhead's cold work", () => {
  it('times the same work right after it ran and after a pause, in a process of its own', () => {
    const m = coldWork({ samples: 8, gapMs: 2 });
    expect(m).toBeDefined();
    expect(m!.hotUs).toBeGreaterThan(0);
    expect(m!.coldUs).toBeGreaterThan(0);
    expect(m!.factor).toBeCloseTo(m!.coldUs / m!.hotUs, 10);
    expect(m!.gapMs).toBe(2);
    // A child process and its warm-up: seconds on a busy machine, not the default 5.
  }, 30_000);

  it('says both figures and their ratio, or that nothing was measured', () => {
    expect(formatColdWork({ hotUs: 6.24, coldUs: 55.9, factor: 8.96, gapMs: 5 })).toMatch(
      /6\.2 µs right after the last time, 55\.9 µs after 5 ms of pause \(9\.0×\)/,
    );
    expect(formatColdWork(null)).toBe('cold work: not measured');
  });

  it.skipIf(spawnSync('taskset', ['-V']).error !== undefined)(
    'is not measured when its process cannot run where asked, never a made-up figure',
    () => {
      expect(coldWork({ cpu: 100_000, samples: 2, gapMs: 1 })).toBeUndefined();
    },
  );
});
