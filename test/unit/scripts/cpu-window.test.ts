import { describe, expect, it } from 'vitest';
import { allOpenWindow, busySeconds, cpuPerChunkBetween } from '../../../scripts/lib/cpu-window.js';

describe('the gateway CPU read while concurrent streams are held', () => {
  it('the window in which every stream is open: after the ramp, before the first ends, a second off each side', () => {
    expect(allOpenWindow(5000, 20_000)).toEqual({ from: 6000, to: 19_000 });
    expect(allOpenWindow(1000, 20_000)).toEqual({ from: 2000, to: 19_000 });
    // under two seconds left: no window (the figure would be the edges' jitter)
    expect(allOpenWindow(5000, 8000)).toBeUndefined();
    expect(allOpenWindow(1000, 5000)).toEqual({ from: 2000, to: 4000 });
    expect(allOpenWindow(1000, 4999)).toBeUndefined();
  });

  it('seconds at or above 95 % of one core, whatever the samples’ spacing', () => {
    const samples = [
      { ms: 0, cpuSeconds: 10 },
      { ms: 250, cpuSeconds: 10.25 }, // 100 %
      { ms: 500, cpuSeconds: 10.49 }, // 96 %
      { ms: 1000, cpuSeconds: 10.7 }, // 42 %
      { ms: 1500, cpuSeconds: 11.2 }, // 100 %
      { ms: 1500, cpuSeconds: 11.2 }, // no time passed: ignored
    ];
    expect(busySeconds(samples)).toBeCloseTo(1.0, 10);
    expect(busySeconds(samples, 0.4)).toBeCloseTo(1.5, 10);
    expect(busySeconds(samples.slice(0, 1))).toBe(0);
  });

  it('CPU per chunk between two marks, none without chunks between them', () => {
    expect(cpuPerChunkBetween({ cpuSeconds: 1, chunks: 1000 }, { cpuSeconds: 1.5, chunks: 11_000 })).toBeCloseTo(50, 10);
    expect(cpuPerChunkBetween({ cpuSeconds: 1, chunks: 5 }, { cpuSeconds: 2, chunks: 5 })).toBeUndefined();
    expect(cpuPerChunkBetween(undefined, { cpuSeconds: 2, chunks: 5 })).toBeUndefined();
  });
});
