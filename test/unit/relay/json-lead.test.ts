/**
 * A 2xx body's opening whitespace (relay/json-lead.ts): dropped read by read while the exchange tells an error from
 * what follows it, given back as as many bytes — the mark, then spaces — whatever reads it came in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLead, opensWithLead } from '../../../src/relay/json-lead.js';

const BOM = [0xef, 0xbb, 0xbf];
const blank = fc.constantFrom(0x20, 0x0a, 0x0d, 0x09);

/** A body: a mark or not, whitespace, then a first value; and where its reads end. */
const bodies = fc
  .record({
    bom: fc.boolean(),
    lead: fc.array(blank, { maxLength: 300 }),
    rest: fc.constantFrom('{"error":{"message":"x"}}', '{"id":"a"}', '[1]', '"s"', ''),
    cuts: fc.array(fc.nat(400), { maxLength: 6 }),
  })
  .map(({ bom, lead, rest, cuts }) => {
    const bytes = Buffer.concat([Buffer.from(bom ? BOM : []), Buffer.from(lead), Buffer.from(rest)]);
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const reads = [0, ...at, bytes.length].slice(1).map((end, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1]!, end));
    return { bytes, reads, rest, bom, lead: lead.length };
  });

describe('JsonLead', () => {
  it('drops a mark and whitespace in any reads; what follows is the first value, and the lead comes back as long as it was', () => {
    fc.assert(
      fc.property(bodies, ({ bytes, reads, rest, bom, lead }) => {
        const j = new JsonLead();
        let held: Buffer = Buffer.alloc(0);
        let after: Buffer = Buffer.alloc(0);
        for (const r of reads) {
          if (after.length > 0) {
            after = Buffer.concat([after, r]);
            continue;
          }
          // As the exchange does: a read that may open a mark is held with the next one until it tells.
          const read = Buffer.concat([held, r]);
          held = Buffer.alloc(0);
          const out = j.skip(read);
          if (out[0] === 0xef && out.length < 3) held = out;
          else after = out;
        }
        if (held.length > 0) after = held;
        const given: Buffer[] = [];
        expect(j.giveBack((p) => void given.push(Buffer.from(p)))).toBeUndefined();
        const back = Buffer.concat(given);
        expect(back.length + after.length).toBe(bytes.length);
        expect(after.toString()).toBe(rest);
        expect(back.subarray(0, bom ? 3 : 0).equals(Buffer.from(bom ? BOM : []))).toBe(true);
        expect(back.subarray(bom ? 3 : 0).equals(Buffer.alloc(lead, 0x20))).toBe(true);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
  });

  it('gives back a long lead in pieces, and stops at the first outcome', () => {
    const j = new JsonLead();
    expect(j.skip(Buffer.alloc(200_000, 0x0a)).length).toBe(0);
    const pieces: number[] = [];
    expect(j.giveBack((p) => (pieces.push(p.length) === 2 ? 'full' : undefined))).toBe('full');
    expect(pieces).toEqual([65_536, 65_536]);
  });

  it('tells what opens with a lead', () => {
    expect(opensWithLead(Buffer.from(' {'))).toBe(true);
    expect(opensWithLead(Buffer.from([...BOM, 0x7b]))).toBe(true);
    expect(opensWithLead(Buffer.from('{ '))).toBe(false);
    expect(opensWithLead(Buffer.from([0xef, 0xbb]))).toBe(false);
  });
});
