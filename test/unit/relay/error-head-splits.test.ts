/**
 * ErrorHead (relay/error-head.ts) on bodies chosen to trip a byte reader — marks split or partial, escaped quotes and
 * backslashes in names, names and strings spelt in escapes, a lone surrogate, errors of every value — fed a byte a
 * read and in every 2- and 3-way split: the verdict, the bytes given back and the compact text are those of one read.
 * From an attacker review.
 */
import { describe, expect, it } from 'vitest';
import { ErrorHead, Verdict } from '../../../src/relay/error-head.js';

const cases: [string | Buffer, boolean][] = [
  ['\uFEFF {"\\u0065rror" : "\\"x"}', true],
  ['{"t\\u0079pe":"\\u0065rror"}', true],
  ['{"\\\\error":{}}', false],
  ['{"error\\"":{}}', false],
  ['{"type":"error\\\\"}', false],
  ['{"type":"erro\\u0072"}', true],
  ['{"e\\ud800rror":1}', false],
  [' \t\r\n{ \n"object"\t:\r"error"}', true],
  ['{"error":"\\u0000"}', true],
  ['{"error":""}', false],
  ['{"error":null}', false],
  ['{"error":-1}', false],
  ['{"error"  :  [ ]}', true],
  ['{"\\u0065\\u0072\\u0072\\u006f\\u0072":{"m":"k"}}', true],
  ['{"\\u006f\\u0062\\u006a\\u0065\\u0063\\u0074":"\\u0065\\u0072\\u0072\\u006f\\u0072"}', true],
  [Buffer.from([0xef, 0xbb, 0x20, 0x7b]), false],
  [Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x7b]), false],
  ['{"type":"error"', true],
];

function run(bytes: Buffer, cuts: number[]) {
  const reads = [...cuts, bytes.length].map((e, i, a) => bytes.subarray(i ? a[i - 1]! : 0, e));
  const h = new ErrorHead();
  let v = Verdict.Undecided;
  let i = 0;
  for (; i < reads.length && v === Verdict.Undecided; i++) v = h.feed(reads[i]!);
  let rest = Buffer.alloc(0);
  if (v === Verdict.Undecided) v = h.end();
  else rest = Buffer.concat([reads[i - 1]!.subarray(h.at), ...reads.slice(i)]);
  const given: Buffer[] = [];
  h.giveBack((p) => void given.push(Buffer.from(p)));
  return {
    v,
    out: Buffer.concat([...given, rest])
      .toString('latin1')
      .replace(/[\t\r\n]/g, ' '),
    compact: v === Verdict.Error ? Buffer.concat([h.compact(), rest]).toString('latin1') : '',
  };
}

describe('ErrorHead over every split', () => {
  for (const [body, isErr] of cases) {
    it(JSON.stringify(body.toString()), () => {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
      const whole = run(bytes, []);
      expect(whole.v === Verdict.Error).toBe(isErr);
      expect(whole.out).toBe(bytes.toString('latin1').replace(/[\t\r\n]/g, ' '));
      const n = bytes.length;
      expect(
        run(
          bytes,
          Array.from({ length: n - 1 }, (_, k) => k + 1),
        ),
      ).toEqual(whole);
      for (let a = 0; a <= n; a++) for (let b = a; b <= n; b++) expect(run(bytes, [a, b])).toEqual(whole);
    });
  }
});
