import { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LineBatch } from '../../../src/observe/line-batch.js';

const sink = () => {
  const writes: string[] = [];
  const out = new Writable({
    write: (c, _e, cb) => {
      writes.push(String(c));
      cb();
    },
  });
  return { out, writes };
};

describe('request log lines are written once per event-loop turn', () => {
  it('lines of one turn go out in one write, in order, on the next turn', async () => {
    const { out, writes } = sink();
    const batch = new LineBatch(out);
    for (let i = 0; i < 20; i++) batch.write(`line ${i}\n`);
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual([Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('')]);
    batch.write('next\n');
    await turn();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe('next\n');
    batch.close();
  });

  it('a batch past its size is written at once, so a burst neither waits nor grows without bound', () => {
    const { out, writes } = sink();
    const batch = new LineBatch(out, 100);
    for (let i = 0; i < 10; i++) batch.write(`${'x'.repeat(39)}\n`);
    expect(writes.length).toBe(3);
    expect(writes.every((w) => w.length >= 100 && w.length < 140)).toBe(true);
    batch.close();
    expect(writes.join('')).toBe(`${'x'.repeat(39)}\n`.repeat(10));
  });

  it('close writes what is pending and stops listening for the exit of the process', () => {
    const { out, writes } = sink();
    const before = process.listenerCount('exit');
    const batch = new LineBatch(out);
    expect(process.listenerCount('exit')).toBe(before + 1);
    batch.write('last words\n');
    batch.close();
    expect(writes).toEqual(['last words\n']);
    expect(process.listenerCount('exit')).toBe(before);
  });
});
