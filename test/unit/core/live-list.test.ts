/**
 * The in-flight list (core/live-list.ts) against a Set as the model: any sequence of adds and removes leaves the
 * same members and the same size, and an entry once removed points at no neighbour (it keeps none alive).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Linked, LiveList } from '../../../src/core/live-list.js';

class Entry implements Linked<Entry> {
  livePrev: Entry | undefined;
  liveNext: Entry | undefined;
  inLive = false;
  constructor(readonly id: number) {}
}

describe('LiveList', () => {
  it('holds what a Set would hold after any adds and removes, and a removed entry keeps no links', () => {
    const op = fc.record({ add: fc.boolean(), at: fc.nat({ max: 11 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const entries = Array.from({ length: 12 }, (_, i) => new Entry(i));
        const list = new LiveList<Entry>();
        const model = new Set<Entry>();
        for (const { add, at } of ops) {
          const e = entries[at]!;
          if (add) {
            list.add(e);
            model.add(e);
          } else {
            list.delete(e);
            model.delete(e);
          }
          expect(list.size).toBe(model.size);
        }
        expect(new Set(list.snapshot())).toEqual(model);
        expect(list.snapshot()).toHaveLength(model.size);
        for (const e of entries) {
          expect(e.inLive).toBe(model.has(e));
          if (!e.inLive) expect([e.livePrev, e.liveNext]).toEqual([undefined, undefined]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('can be walked while each entry walked is removed (the drain cuts every request in flight)', () => {
    const list = new LiveList<Entry>();
    const entries = Array.from({ length: 5 }, (_, i) => new Entry(i));
    for (const e of entries) list.add(e);
    const seen: number[] = [];
    for (const e of list.snapshot()) {
      seen.push(e.id);
      list.delete(e);
    }
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    expect(list.size).toBe(0);
    expect(list.snapshot()).toEqual([]);
  });
});
