import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../../../src/core/units.js';

describe('sizes', () => {
  it.each([
    ['512', 512],
    [512, 512],
    ['64Ki', 65536],
    ['8Mi', 8 * 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['10KB', 10_000],
    ['50MB', 50_000_000],
    ['1.5Mi', 1.5 * 1024 ** 2],
  ])('%s → %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it.each(['8 megs', '-1', 'Mi', '', '1Xi'])('rejects %j', (text) => expect(parseSize(text)).toBeUndefined());
});

describe('durations', () => {
  it.each([
    ['150ms', 150],
    ['5s', 5000],
    ['2m', 120_000],
    ['0', 0],
    [0, 0],
    ['1.5s', 1500],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['forever', '5', 5, '1d', 's'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});
