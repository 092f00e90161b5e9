import { describe, expect, it } from 'vitest';
import { parseDirective, parseFault, readControls } from '../../../src/mock/controls.js';

describe('mock controls', () => {
  it.each([
    ['status:503', { kind: 'status', status: 503 }],
    ['reset-before-headers', { kind: 'reset-before-headers' }],
    ['reset-after:100', { kind: 'reset-after', tokens: 100 }],
    ['close-after:5', { kind: 'close-after', tokens: 5 }],
    ['stall-after:3', { kind: 'stall-after', tokens: 3 }],
    ['slow-headers:2s', { kind: 'slow-headers', ms: 2000 }],
    ['error-after:12', { kind: 'error-after', tokens: 12 }],
    ['overloaded', { kind: 'status', status: 529 }],
  ])('fault %s', (spec, fault) => expect(parseFault(spec)).toEqual(fault));

  it.each(['status:abc', 'reset-after', 'error-after:x', 'explode', 'slow-headers:soon'])('rejects fault %s with a message', (spec) =>
    expect(typeof parseFault(spec)).toBe('string'),
  );

  it('reads a [[mock …]] directive from message text', () => {
    expect(parseDirective('please [[mock ttft=0ms tps=0 fault=reset-after:100]] thanks')).toEqual({
      ttft: '0ms',
      tps: '0',
      fault: 'reset-after:100',
    });
  });

  it('lets headers win over the directive', () => {
    const c = readControls({ 'x-mock-tps': '50', 'x-mock-quirks': 'ping,no-done' }, '[[mock tps=10 ttft=20ms]]');
    expect(c).toMatchObject({ tokensPerSecond: 50, ttftMs: 20, quirks: new Set(['ping', 'no-done']) });
  });

  it('names the bad value', () => {
    expect(readControls({ 'x-mock-quirks': 'pong' }, undefined)).toMatch(/unknown quirk "pong"/);
    expect(readControls({}, '[[mock ttft=soon]]')).toMatch(/ttft/);
  });
});
