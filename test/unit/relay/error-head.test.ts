/**
 * A 2xx body's first bytes told as an error object or an answer (relay/error-head.ts), held to JSON.parse: for
 * generated bodies — whitespace of any length between any tokens, names and strings spelt with escapes, a mark or
 * not — cut into random reads, the verdict is what the parsed body's first member says, and the bytes given back
 * (then the rest) are the body, each whitespace run as as many spaces: the same length, the same JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorHead, Verdict } from '../../../src/relay/error-head.js';

const ws = fc.array(fc.constantFrom(' ', '\n', '\r', '\t'), { maxLength: 40 }).map((a) => a.join(''));
const longWs = fc.oneof(
  ws,
  fc.nat(20_000).map((n) => ' '.repeat(n)),
);
/** A name or string as JSON spells it: plain, or with some of its letters as \u escapes. */
const spelt = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((esc) => `"${[...text].map((c, i) => (esc[i] ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('')}"`);
const name = fc.constantFrom('error', 'object', 'type', 'id', 'choices', 'e', 'err', 'errors', '').chain(spelt);
const value = fc.oneof(
  fc.constantFrom('{"message":"k"}', '[]', '{}', 'null', '0', 'true', '""', '"x"', '"chat.completion"', '[1]'),
  fc.constantFrom('error', 'list', 'err', '').chain(spelt),
);

const bodies = fc
  .record({
    bom: fc.boolean(),
    w: fc.array(longWs, { minLength: 6, maxLength: 6 }),
    name,
    value,
    cuts: fc.array(fc.nat(30_000), { maxLength: 5 }),
  })
  .map(({ bom, w, name, value, cuts }) => {
    const text = `${w[0]}{${w[1]}${name}${w[2]}:${w[3]}${value}${w[4]},"z":1${w[5]}}`;
    const bytes = Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const reads = [...at, bytes.length].map((end, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1]!, end));
    return { bytes, reads, text };
  });

/** What a client's SDK takes for an error: the first member `error`, not empty, or `object`/`type` of `"error"`. */
function isError(text: string): boolean {
  const json = JSON.parse(text) as Record<string, unknown>;
  const [first] = Object.keys(json);
  const v = json[first!];
  if (first === 'error') return (typeof v === 'object' && v !== null) || (typeof v === 'string' && v !== '');
  return (first === 'object' || first === 'type') && v === 'error';
}

describe('ErrorHead', () => {
  it('tells an error as JSON.parse reads the body, in any reads, and gives back what it read at its length', () => {
    fc.assert(
      fc.property(bodies, ({ bytes, reads, text }) => {
        const head = new ErrorHead();
        let verdict = Verdict.Undecided;
        let rest = Buffer.alloc(0);
        let i = 0;
        for (; i < reads.length && verdict === Verdict.Undecided; i++) verdict = head.feed(reads[i]!);
        if (verdict === Verdict.Undecided) verdict = head.end();
        else rest = Buffer.concat([reads[i - 1]!.subarray(head.at), ...reads.slice(i)]);
        expect(verdict === Verdict.Error).toBe(isError(text));
        const given: Buffer[] = [];
        head.giveBack((p) => void given.push(Buffer.from(p)));
        const out = Buffer.concat([...given, rest]);
        expect(out.length).toBe(bytes.length);
        const plain = (b: Buffer) => b.toString().replace(/^\uFEFF/, '');
        expect(JSON.parse(plain(out))).toEqual(JSON.parse(plain(bytes)));
        if (verdict === Verdict.Error) expect(JSON.parse(Buffer.concat([head.compact(), rest]).toString())).toEqual(JSON.parse(text));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
    );
  });

  it('holds no whitespace: 1 MB of it between the brace and the name is counted, and given back in 64 KiB pieces', () => {
    const head = new ErrorHead();
    expect(head.feed(Buffer.from('{'))).toBe(Verdict.Undecided);
    expect(head.feed(Buffer.alloc(1_000_000, 0x20))).toBe(Verdict.Undecided);
    expect(head.feed(Buffer.from('"error":"k"}'))).toBe(Verdict.Error);
    expect(head.compact().toString()).toBe('{"error":"k');
    const pieces: number[] = [];
    head.giveBack((p) => void pieces.push(p.length));
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(1_000_000 + 11);
    expect(Math.max(...pieces)).toBe(65_536);
  });

  it("tells the usual answer at its first name's first letter", () => {
    const head = new ErrorHead();
    expect(head.feed(Buffer.from('{"id":"chatcmpl-1","object":"chat.completion"}'))).toBe(Verdict.Answer);
    expect(head.at).toBe(3);
  });
});
