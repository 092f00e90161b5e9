/** The mock's runtime pace control: what `POST /mock/control` accepts, refuses, and what it does to the delays. */
import { describe, expect, it } from 'vitest';
import { MAX_DELAY_MS, type Pace, slowedTokensPerSecond, timeToFirstToken, updatePace } from '../../../src/mock/pace.js';

const initial: Pace = { ttft: 80, tokensPerSecond: 200, prefillPerToken: 0.1, slowdown: 1 };
const slowed: Pace = { ...initial, slowdown: 5, ttft: 10 };

describe('updatePace', () => {
  const accepted: [string, unknown, Pace, Pace][] = [
    ['an empty object changes nothing', {}, slowed, slowed],
    ['slowdown alone', { slowdown: 5 }, initial, { ...initial, slowdown: 5 }],
    ['durations as strings', { ttft: '2s', prefillPerToken: '250us' }, initial, { ...initial, ttft: 2000, prefillPerToken: 0.25 }],
    ['durations as milliseconds', { ttft: 15 }, initial, { ...initial, ttft: 15 }],
    ['tokensPerSecond 0 (unpaced)', { tokensPerSecond: 0 }, initial, { ...initial, tokensPerSecond: 0 }],
    ['reset goes back to the profile', { reset: true }, slowed, initial],
    ['reset, then the other fields', { reset: true, slowdown: 2 }, slowed, { ...initial, slowdown: 2 }],
  ];
  it.each(accepted)('%s', (_name, body, from, expected) => {
    expect(updatePace(from, initial, body)).toEqual(expected);
  });

  const refused: [string, unknown, RegExp][] = [
    ['an unknown field', { slowness: 5 }, /unknown field "slowness"/],
    ['a negative slowdown', { slowdown: -1 }, /^slowdown: /],
    ['a zero slowdown', { slowdown: 0 }, /^slowdown: /],
    ['a slowdown as a string', { slowdown: '5' }, /^slowdown: /],
    ['a duration that is not one', { ttft: 'soon' }, /^ttft: expected a duration/],
    ['a negative duration', { ttft: -5 }, /^ttft: expected a duration/],
    ['a duration beyond 10 minutes', { ttft: '11m' }, /^ttft: expected a duration/],
    ['Infinity smuggled as a huge number', { prefillPerToken: 1e308 }, /^prefillPerToken: /],
    ['not an object', [1, 2], /expected object/i],
    ['a negative rate', { tokensPerSecond: -1 }, /^tokensPerSecond: /],
  ];
  it.each(refused)('refuses %s with a message naming the field', (_name, body, message) => {
    const out = updatePace(initial, initial, body);
    expect(typeof out).toBe('string');
    expect(out).toMatch(message);
  });
});

describe('the delays', () => {
  it('TTFT = (base + uncached × prefillPerToken) × slowdown', () => {
    expect(timeToFirstToken(80, 1000, initial)).toBeCloseTo(180);
    expect(timeToFirstToken(80, 1000, { ...initial, slowdown: 5 })).toBeCloseTo(900);
    expect(timeToFirstToken(0, 0, { ...initial, slowdown: 5 })).toBe(0);
  });

  it('is capped, whatever a prompt or a control asks', () => {
    expect(timeToFirstToken(0, 1e12, initial)).toBe(MAX_DELAY_MS);
  });

  it('slows output by the same factor, and leaves an unpaced stream unpaced', () => {
    expect(slowedTokensPerSecond(200, { ...initial, slowdown: 4 })).toBe(50);
    expect(slowedTokensPerSecond(0, { ...initial, slowdown: 4 })).toBe(0);
  });
});
