/** Sticky rendezvous hashing and passive ejection (smooth weighted round-robin: strategies/weighted.test.ts). */
import { describe, expect, it } from 'vitest';
import { stickyPick, targetSeed } from '../../../src/routing/sticky.js';
import { BackendHealth } from '../../../src/upstream/health.js';

const all = () => true;

describe('sticky rendezvous hashing', () => {
  const seeds = ['a', 'b', 'c'].map((b) => targetSeed(b, 'm'));

  it('keeps a session on its target', () => {
    const first = stickyPick('session-42', seeds, [1, 1, 1], all);
    for (let i = 0; i < 10; i++) expect(stickyPick('session-42', seeds, [1, 1, 1], all)).toBe(first);
  });

  it('keeps the weights across sessions (95/5 within ±1 point over 20k sessions)', () => {
    const counts = [0, 0];
    for (let i = 0; i < 20_000; i++) counts[stickyPick(`s${i}`, seeds.slice(0, 2), [95, 5], all)]!++;
    expect(counts[1]! / 20_000).toBeGreaterThan(0.04);
    expect(counts[1]! / 20_000).toBeLessThan(0.06);
  });

  it('moves only the sessions of a target that leaves', () => {
    let moved = 0;
    let onC = 0;
    for (let i = 0; i < 5000; i++) {
      const before = stickyPick(`s${i}`, seeds, [1, 1, 1], all);
      const after = stickyPick(`s${i}`, seeds, [1, 1, 1], (t) => t !== 2);
      if (before === 2) onC++;
      else if (after !== before) moved++;
    }
    expect(moved).toBe(0);
    expect(onC).toBeGreaterThan(1400);
  });
});

describe('passive ejection', () => {
  it('ejects after consecutive failures, half-opens after the cooldown, doubles it on a relapse, resets on success', () => {
    const h = new BackendHealth({ consecutiveFailures: 3, cooldownMs: 1000, maxCooldownMs: 3000 });
    expect(h.failure(0)).toBe(0);
    expect(h.failure(0)).toBe(0);
    expect(h.failure(0)).toBe(1000);
    expect(h.available(500)).toBe(false);
    expect(h.available(1000)).toBe(true);
    expect(h.failure(1000)).toBe(2000);
    expect(h.failure(3000)).toBe(3000);
    expect(h.success()).toBe(true);
    expect(h.failure(10_000)).toBe(0);
  });

  it('outcomes of requests sent before an ejection, ending during it, neither extend nor end it', () => {
    const h = new BackendHealth({ consecutiveFailures: 3, cooldownMs: 1000, maxCooldownMs: 60_000 });
    const before = h.epoch;
    for (let i = 0; i < 2; i++) expect(h.failure(0, before)).toBe(0);
    // Six requests under way fail together: one ejection, for the cooldown.
    expect([0, 0, 0, 0, 0].map(() => h.failure(0, before))).toEqual([1000, 0, 0, 0, 0]);
    expect(h.available(1000)).toBe(true);
    // One sent before the ejection answers during it: no recovery, and the relapse after the cooldown doubles it.
    expect(h.success(500, before)).toBe(false);
    expect(h.available(999)).toBe(false);
    expect(h.failure(1000, h.epoch)).toBe(2000);
  });

  it('a request sent during an ejection (panic mode, the quick retry) is read as ever: its success ends the ejection', () => {
    const h = new BackendHealth({ consecutiveFailures: 1, cooldownMs: 1000, maxCooldownMs: 60_000 });
    expect(h.failure(0, h.epoch)).toBe(1000);
    expect(h.failure(10, h.epoch)).toBe(2000);
    expect(h.success(20, h.epoch)).toBe(true);
    expect(h.available(20)).toBe(true);
  });
});
