import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuTicks, stealShare } from '../../../scripts/lib/proc-stats.js';

describe("the benches' host steal", () => {
  it('is the share of a CPU’s ticks between two readings that the host took', () => {
    expect(stealShare({ total: 1000, steal: 100 }, { total: 1200, steal: 150 })).toBe(0.25);
    expect(stealShare({ total: 1000, steal: 100 }, { total: 1200, steal: 100 })).toBe(0);
    // No time passed, or no reading (not Linux): unknown, never a division by zero or a made-up 0.
    expect(stealShare({ total: 1000, steal: 100 }, { total: 1000, steal: 100 })).toBeUndefined();
    expect(stealShare(undefined, { total: 1, steal: 0 })).toBeUndefined();
  });

  it.skipIf(!existsSync('/proc/stat'))('reads a CPU’s ticks from /proc/stat, steal among them; none for a CPU that is not there', () => {
    const t = cpuTicks(0);
    expect(t).toBeDefined();
    expect(t!.total).toBeGreaterThan(0);
    expect(t!.steal).toBeGreaterThanOrEqual(0);
    expect(t!.steal).toBeLessThanOrEqual(t!.total);
    expect(cpuTicks(100_000)).toBeUndefined();
  });
});
