/**
 * h1-body.ts reads a chunked body as llhttp reads it (differential, in process): random chunked answers — chunk
 * sizes spelt in either case or with leading zeros, extensions on some chunks, trailers — and hostile edits of them
 * (a byte replaced anywhere after the head), cut in random reads. The oracle is Node's llhttp reading the whole
 * answer; the subject reads the head with llhttp, the body with BodyReader and, where it hands the rest back, with a
 * fresh llhttp from RESUMED_HEAD and the size line's start — as Connection (h1-pool.ts) does. Both must end the same
 * way (whole, refused, or still waiting) with the same body bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyReader, BodyStep, RESUMED_HEAD } from '../../../src/upstream/h1-body.js';
import { type LentParser, lendParser, type ParserOwner, STOP_AFTER_HEAD, takeBack } from '../../../src/upstream/h1-parser.js';

type Outcome = { end: 'whole' | 'refused' | 'waiting'; body: string };

/** A parser owner that collects body bytes and the end; `stopAtHead` stops llhttp at the head as Connection does. */
function owner(stopAtHead: boolean, out: Outcome, skipHead = false): ParserOwner {
  let skip = skipHead;
  return {
    onMessageBegin() {},
    onHeaderParts() {},
    onHead() {
      if (skip) {
        skip = false;
        return 0;
      }
      return stopAtHead ? STOP_AFTER_HEAD : 0;
    },
    onBody(chunk) {
      out.body += chunk.toString('latin1');
    },
    onMessageEnd() {
      if (!stopAtHead) out.end = 'whole';
    },
  };
}

function oracle(reads: Buffer[]): Outcome {
  const out: Outcome = { end: 'waiting', body: '' };
  const p = lendParser(owner(false, out));
  try {
    for (const r of reads) {
      if (p.execute(r) instanceof Error) return { ...out, end: 'refused' };
      if (out.end === 'whole') break;
    }
    return out;
  } finally {
    takeBack(p, false);
  }
}

function subject(reads: Buffer[]): Outcome {
  const out: Outcome = { end: 'waiting', body: '' };
  const refused = (): Outcome => ({ ...out, end: 'refused' });
  // The head, whole in the first read (see `reads`): llhttp stops at its end.
  const head = lendParser(owner(true, out));
  const n = head.execute(reads[0]!);
  takeBack(head, true);
  if (n instanceof Error) return refused();
  let reader: BodyReader | undefined = new BodyReader(-1);
  let p: LentParser | undefined;
  const sink = {
    bodyPiece(v: Buffer) {
      out.body += v.toString('latin1');
      return true;
    },
  };
  try {
    for (let k = 0; k < reads.length; k++) {
      const buf = k === 0 ? reads[0]!.subarray(n) : reads[k]!;
      if (reader) {
        const step = reader.read(buf, 0, sink);
        if (step === BodyStep.Refused) return refused();
        if (step !== BodyStep.Native) continue;
        // Back to llhttp, from the start of the chunk-size line reader stopped at.
        p = lendParser(owner(false, out, true));
        if (p.execute(Buffer.from(RESUMED_HEAD + reader.sizeLine, 'latin1')) instanceof Error) return refused();
        const rest = buf.subarray(reader.at);
        reader = undefined;
        if (p.execute(rest) instanceof Error) return refused();
      } else if (p!.execute(buf) instanceof Error) return refused();
      if (out.end === 'whole') return out;
    }
    return out;
  } finally {
    if (p) takeBack(p, false);
  }
}

const HEAD = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n';

const answers = fc
  .record({
    body: fc.string({ unit: 'binary-ascii', maxLength: 600 }),
    sizes: fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 4 }),
    extensions: fc.array(fc.constantFrom('', '', '', ';a', ';ext=1', ';q="x y"'), { minLength: 1, maxLength: 3 }),
    hex: fc.constantFrom('lower', 'upper', 'zeros'),
    trailer: fc.constantFrom('', 'x-t: 1\r\n'),
  })
  .map((w) => {
    const spelt = (n: number) =>
      w.hex === 'upper' ? n.toString(16).toUpperCase() : w.hex === 'zeros' ? `00${n.toString(16)}` : n.toString(16);
    let text = '';
    for (let at = 0, i = 0; at < w.body.length; i++) {
      const n = Math.min(w.sizes[i % w.sizes.length]!, w.body.length - at);
      text += `${spelt(n)}${w.extensions[i % w.extensions.length]}\r\n${w.body.slice(at, at + n)}\r\n`;
      at += n;
    }
    return { body: w.body, chunked: `${text}0\r\n${w.trailer}\r\n` };
  });

/** The answer's reads: the head whole in the first, the body cut at `cuts`. */
function reads(chunked: string, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (chunked.length + 1)))].sort((a, b) => a - b);
  const out = [HEAD + chunked.slice(0, at[0] ?? chunked.length)];
  for (let i = 0; i < at.length; i++) out.push(chunked.slice(at[i], at[i + 1] ?? chunked.length));
  return out.filter((s) => s.length > 0).map((s) => Buffer.from(s, 'latin1'));
}

describe('h1-body reads a chunked body as llhttp does (differential, in process)', () => {
  it('random chunked answers in random reads: whole, with the same body', () => {
    fc.assert(
      fc.property(answers, fc.array(fc.nat(), { maxLength: 12 }), (a, cuts) => {
        const r = reads(a.chunked, cuts);
        const theirs = oracle(r);
        expect(theirs).toEqual({ end: 'whole', body: a.body });
        expect(subject(r)).toEqual(theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it('the same with one byte replaced anywhere in the body: ended the same way, the same bytes handed over', () => {
    const hostile = fc.constantFrom(...'\r\n;= \t"\\0aF:xg\x00\x7f\xff'.split(''));
    fc.assert(
      fc.property(answers, fc.nat(), hostile, fc.array(fc.nat(), { maxLength: 8 }), (a, where, byte, cuts) => {
        const i = where % a.chunked.length;
        const edited = a.chunked.slice(0, i) + byte + a.chunked.slice(i + 1);
        const r = reads(edited, cuts);
        expect(subject(r)).toEqual(oracle(r));
      }),
      { numRuns: 5000 },
    );
  });
});
