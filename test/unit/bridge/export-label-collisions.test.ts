/**
 * Profile names that sanitize to one Kubernetes name (`a.b`, `a_b`, `a:b`, … all `a-b`) each get their own in time that
 * does not grow with how many came before: each counted its suffix up from `-2` past every one taken, so an export of a
 * profile of 6,561 such backends took 3.4 s more than its load, 10,000 names ~8 s (quadratic).
 */
import { describe, expect, it } from 'vitest';
import { uniqueLabels } from '../../../src/bridge/envoy/names.js';

describe('names of one Kubernetes name', () => {
  // 20,000 names: linear, 0.1–0.3 s (a loaded machine); quadratic, ~30 s. The bound sits far from both, so a loaded machine does not fail it.
  it('20,000 are labelled in linear time', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `a${'.'.repeat((i % 7) + 1)}${'_'.repeat(Math.floor(i / 7) + 1)}b`);
    const started = performance.now();
    const labels = uniqueLabels(names, ['a-b-3']);
    const ms = performance.now() - started;
    expect(new Set(labels.values()).size).toBe(names.length);
    expect([...labels.values()].slice(0, 4)).toEqual(['a-b', 'a-b-2', 'a-b-4', 'a-b-5']);
    expect(ms).toBeLessThan(3000);
  });
});
