/** Workloads: length distributions, JSONL files (hostile lines included) and multi-turn conversations. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/hash.js';
import { fileWorkload, parseLength, parseWorkload, sampleLength, syntheticWorkload } from '../../../src/bench/workload.js';

describe('length distributions', () => {
  it.each([
    ['128', { kind: 'fixed', n: 128 }],
    ['fixed:64', { kind: 'fixed', n: 64 }],
    ['uniform:64-256', { kind: 'uniform', min: 64, max: 256 }],
    ['uniform:10,20', { kind: 'uniform', min: 10, max: 20 }],
    ['normal:128,32', { kind: 'normal', mean: 128, std: 32 }],
  ])('%s', (spec, want) => expect(parseLength(spec)).toEqual({ ok: true, value: want }));

  it.each(['', '0', '-3', 'uniform:9-3', 'normal:abc', 'gauss:1,2', '1.5', 'uniform:1', 'fixed:99999999999'])('refuses "%s"', (spec) =>
    expect(parseLength(spec).ok).toBe(false),
  );

  it('never throws and samples stay in range, for any text', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (junk, a, b) => {
        expect(() => parseLength(junk)).not.toThrow();
        const d = parseLength(`uniform:${a}-${a + b}`);
        if (!d.ok) throw new Error(d.message);
        const rng = new Rng(a);
        for (let i = 0; i < 20; i++) {
          const n = sampleLength(d.value, rng);
          expect(n).toBeGreaterThanOrEqual(a);
          expect(n).toBeLessThanOrEqual(a + b);
        }
      }),
    );
  });

  it('a synthetic workload asks for the drawn output length with a prompt of that many vocabulary words', () => {
    const src = syntheticWorkload({ kind: 'fixed', n: 50 }, { kind: 'fixed', n: 7 }).source('m');
    const r = src.next()!;
    expect(r.body.max_tokens).toBe(7);
    const content = (r.body.messages as { content: string }[])[0]!.content;
    expect(content.split(' ')).toHaveLength(50);
    expect(r.cost).toBeGreaterThan(7);
  });
});

describe('JSONL workloads', () => {
  it('names the file and line of every problem', () => {
    const text = [
      '{"prompt":"hi","max_tokens":5}',
      'not json',
      '{"max_tokens":5}',
      '{"prompt":"a","messages":[{"role":"user","content":"b"}]}',
      '{"prompt":"x","max_tokens":-1}',
      '[1,2]',
    ].join('\n');
    const r = parseWorkload(text, 'w.jsonl');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(/^w\.jsonl:2: not JSON/m);
    expect(r.message).toMatch(/^w\.jsonl:3: .*exactly one of "prompt" or "messages"/m);
    expect(r.message).toMatch(/^w\.jsonl:4: /m);
    expect(r.message).toMatch(/^w\.jsonl:5: max_tokens/m);
    expect(r.message).toMatch(/^w\.jsonl:6: /m);
  });

  it('reads a file saved with a UTF-8 byte-order mark, and CRLF line ends', () => {
    const r = parseWorkload('\uFEFF{"prompt":"hi","max_tokens":5}\r\n{"prompt":"there"}\r\n', 'bom.jsonl');
    expect(r).toMatchObject({ ok: true, value: [{ prompt: 'hi', max_tokens: 5 }, { prompt: 'there' }] });
  });

  it('says a few issues of a line, not one per element of its arrays', () => {
    const line = JSON.stringify({ messages: Array.from({ length: 100_000 }, () => 0) });
    const r = parseWorkload(`${line}\n${line}\n`, 'w.jsonl');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(/^w\.jsonl:1: messages\.0: .*\(and \d+ more\)$/m);
    expect(r.message).toMatch(/^w\.jsonl:2: /m);
    expect(r.message.length).toBeLessThan(2000);
  });

  it('refuses an empty file, and never throws on any text', () => {
    expect(parseWorkload('\n\n', 'e.jsonl')).toMatchObject({ ok: false, message: expect.stringMatching(/no requests/) });
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (t) => void parseWorkload(t, 'f')));
    fc.assert(fc.property(fc.jsonValue(), (v) => void parseWorkload(JSON.stringify(v), 'f')));
  });

  it('sends the turns of a conversation in order, each after the previous answer and with the history', () => {
    const lines = parseWorkload(
      ['{"conversation_id":"c","prompt":"one"}', '{"prompt":"solo","max_tokens":3}', '{"conversation_id":"c","prompt":"two"}'].join('\n'),
      'w',
    );
    if (!lines.ok) throw new Error(lines.message);
    const src = fileWorkload(lines.value, 'w').source('m');
    const first = src.next()!;
    expect(first.body.messages).toEqual([{ role: 'user', content: 'one' }]);
    const solo = src.next()!;
    expect(solo.body).toEqual({ model: 'm', messages: [{ role: 'user', content: 'solo' }], max_tokens: 3 });
    // The conversation waits for its answer; the single line cycles meanwhile.
    expect(src.next()!.body.messages).toEqual([{ role: 'user', content: 'solo' }]);
    first.answered!(true, 'ANSWER');
    src.next(); // solo again
    const second = src.next()!;
    expect(second.body.messages).toEqual([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'ANSWER' },
      { role: 'user', content: 'two' },
    ]);
    second.answered!(true, 'done');
    src.next(); // solo
    expect(src.next()!.body.messages).toEqual([{ role: 'user', content: 'one' }]);
  });

  it('a failed turn restarts its conversation', () => {
    const lines = parseWorkload('{"conversation_id":1,"prompt":"a"}\n{"conversation_id":1,"prompt":"b"}', 'w');
    if (!lines.ok) throw new Error(lines.message);
    const src = fileWorkload(lines.value, 'w').source('m');
    const a = src.next()!;
    expect(src.next()).toBeUndefined();
    a.answered!(false, undefined);
    expect(src.next()!.body.messages).toEqual([{ role: 'user', content: 'a' }]);
  });
});
