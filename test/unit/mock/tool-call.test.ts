/** Tool-call arguments: unchanged for ordinary schemas, bounded whatever the schema copies in. */
import { describe, expect, it } from 'vitest';
import { argumentFragments, MAX_COPIED_CHARS, toolArguments } from '../../../src/mock/tool-call.js';

const schema = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    unit: { enum: ['c', 'f'] },
    n: { type: 'integer' },
    x: { type: 'number' },
    b: { type: 'boolean' },
    a: { type: 'array' },
    o: { type: 'object' },
    z: {},
    t: { type: ['null', 'string'] },
    e2: { enum: [{ k: 1 }, [1, 2], 3] },
  },
};

describe('toolArguments', () => {
  it('gives ordinary schemas the same arguments as before the bound (pinned)', () => {
    expect(toolArguments(schema, 1)).toBe(
      '{"city":"中国 asked early","unit":"c","n":40,"x":67.76,"b":true,"a":[],"o":{},"z":null,"t":"été","e2":3}',
    );
    expect(toolArguments(schema, 123456)).toBe(
      '{"city":"on","unit":"f","n":46,"x":24.69,"b":true,"a":[],"o":{},"z":null,"t":"and with went","e2":[1,2]}',
    );
  });

  it('copies no enum value or property name larger than the cap: a 4 MiB schema gives arguments under 1 KiB', () => {
    const big = 'y'.repeat(4 * 2 ** 20);
    const huge = {
      type: 'object',
      properties: {
        s: { type: 'string', enum: [big] },
        untyped: { enum: [big] },
        nested: { enum: [{ a: [big] }] },
        many: { enum: [Array.from({ length: 1_000_000 }, () => 1)] },
        [big]: { type: 'integer' },
        fits: { enum: ['z'.repeat(MAX_COPIED_CHARS - 2)] },
      },
    };
    const args = toolArguments(huge, 7);
    expect(args.length).toBeLessThan(1024);
    const parsed = JSON.parse(args) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['s', 'untyped', 'nested', 'many', 'fits']);
    expect(typeof parsed.s).toBe('string');
    expect((parsed.s as string).length).toBeLessThan(100);
    expect(parsed.untyped).toBeNull();
    expect(parsed.nested).toBeNull();
    expect(parsed.many).toBeNull();
    expect(parsed.fits).toBe('z'.repeat(MAX_COPIED_CHARS - 2));
    expect(toolArguments(huge, 7)).toBe(args);
  });

  it('stops measuring an enum value nested 200,000 levels deep after a few levels (it overflowed the stack)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const args = toolArguments({ type: 'object', properties: { d: { enum: [deep] } } }, 1);
    expect(JSON.parse(args)).toEqual({ d: null });
  });
});

describe('argumentFragments', () => {
  it('cuts into 12-character pieces that join back, and one empty piece for empty text', () => {
    const args = toolArguments(schema, 1);
    const parts = [...argumentFragments(args)];
    expect(parts.join('')).toBe(args);
    expect(parts.every((p) => p.length <= 12)).toBe(true);
    expect([...argumentFragments('')]).toEqual(['']);
  });
});
