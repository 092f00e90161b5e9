import { describe, expect, it } from 'vitest';
import { decodeSseBody, encodeSseEvent, SseDecoder, type SseEvent } from '../../../src/openai/sse.js';

const TRANSCRIPT = [
  ': ping',
  'data: {"choices":[{"delta":{"content":"北京 🌍 café"}}]}',
  '',
  'event: update',
  'id: 7',
  'data: line one',
  'data: line two',
  '',
  'data:no-space',
  '',
  'data: [DONE]',
  '',
  '',
];

function decodeInPieces(bytes: Buffer, cuts: number[]): SseEvent[] {
  const out: SseEvent[] = [];
  const dec = new SseDecoder();
  const sink = { onEvent: (ev: SseEvent) => out.push(ev) };
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    dec.push(bytes.subarray(prev, c), sink);
    prev = c;
  }
  dec.end(sink);
  return out;
}

describe('SSE decoding', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    it(`gives the same events whatever byte it is cut at (${name})`, () => {
      const bytes = Buffer.from(TRANSCRIPT.join(eol));
      const whole = decodeSseBody(bytes);
      expect(whole.map((e) => e.data)).toEqual([
        '{"choices":[{"delta":{"content":"北京 🌍 café"}}]}',
        'line one\nline two',
        'no-space',
        '[DONE]',
      ]);
      expect(whole[0]!.comments).toEqual(['ping']);
      expect(whole[1]).toMatchObject({ event: 'update', id: '7' });
      expect(decodeSseBody(': ping\n\ndata: x\n\n').map((e) => [e.comments, e.data])).toEqual([
        [['ping'], undefined],
        [[], 'x'],
      ]);
      for (let cut = 1; cut < bytes.length; cut++) {
        const events = decodeInPieces(bytes, [cut]);
        expect(events, `cut at ${cut}`).toEqual(whole);
        expect(JSON.stringify(events)).not.toContain('\ufffd');
      }
    });
  }

  // An event's data lines after the first are held as bytes, decoded once at dispatch: it reads as each line read
  // alone, joined by LF — a character cut at a line's end, a BOM that starts a value, a stray byte, split anywhere.
  it('gives a many-line event the data its lines give, joined by line feeds', () => {
    const lines = ['a', '北京 🌍', '\ufeffbom', '', 'x'.repeat(3000), 'é'];
    const raw = Buffer.concat([
      Buffer.from(lines.map((l) => `data: ${l}\n`).join('')),
      Buffer.from('data: cut '),
      Buffer.from('🌍').subarray(0, 2),
      Buffer.from('\ndata: '),
      Buffer.from([0xff]),
      Buffer.from('\n\n'),
    ]);
    const expected = [...lines, 'cut \ufffd', '\ufffd'].join('\n');
    expect(decodeSseBody(raw).map((e) => e.data)).toEqual([expected]);
    for (const cut of [1, 9, 30, 3020, raw.length - 3]) expect(decodeInPieces(raw, [cut]).map((e) => e.data)).toEqual([expected]);
  });

  // Written back into the data's buffer, a U+FFFD takes the one byte 0xFF (16 MiB of bytes that are not UTF-8 held
  // 48 MiB as UTF-8): the data decoded at dispatch is the same text, whatever stands beside it.
  it('gives a many-line event with bytes that are not UTF-8 the data its lines give', () => {
    const parts = [
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from('\ufffd real replacement, é 北京 🌍 '),
      Buffer.from([0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x8c, 0xc3]),
      Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xef, 0xbf]),
    ];
    const raw = Buffer.concat([...parts.flatMap((p) => [Buffer.from('data: '), p, Buffer.from('\n')]), Buffer.from('\n')]);
    const expected = parts.map((p) => p.toString('utf8')).join('\n');
    expect(decodeSseBody(raw).map((e) => e.data)).toEqual([expected]);
    for (const cut of [2, 7, 12, raw.length - 4]) expect(decodeInPieces(raw, [cut]).map((e) => e.data)).toEqual([expected]);
  });

  it('keeps the first comments of a block, not every one (only whether it had any is read)', () => {
    const [ev] = decodeSseBody(`${':\n'.repeat(100_000)}: last\ndata: x\n\n`);
    expect([ev!.comments.length, ev!.comments[0], ev!.data]).toEqual([8, '', 'x']);
  });

  it('survives a byte-by-byte feed', () => {
    const bytes = Buffer.from(TRANSCRIPT.join('\r\n'));
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(decodeInPieces(bytes, cuts)).toEqual(decodeSseBody(bytes));
  });

  it('reports where each event ends within the chunk', () => {
    const ends: number[] = [];
    new SseDecoder().push(Buffer.from('data: a\n\ndata: b\r\n\r\n'), { onEvent: (_e, end) => ends.push(end) });
    expect(ends).toEqual([9, 20]);
  });

  it('encodes multi-line data as several data lines', () => {
    expect(encodeSseEvent('a\nb', 'x', 3)).toBe('event: x\nid: 3\ndata: a\ndata: b\n\n');
    expect(decodeSseBody(encodeSseEvent('a\nb'))[0]!.data).toBe('a\nb');
  });
});
