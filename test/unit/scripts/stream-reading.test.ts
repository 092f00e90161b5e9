import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarkerScanner } from '../../../scripts/lib/chunk-markers.js';
import { ResponseReader } from '../../../scripts/lib/response-reader.js';

interface Seen {
  status?: number;
  headers?: Record<string, string>;
  markers: [number, number][];
  done: boolean;
  ends: number;
  errors: string[];
}

/** Feeds `bytes` cut at `cuts` (then closes the socket when `close`), as the stream client does. */
function read(bytes: Buffer, cuts: number[] = [], close = false): Seen {
  const seen: Seen = { markers: [], done: false, ends: 0, errors: [] };
  const scanner = new MarkerScanner((a, b) => seen.markers.push([a, b]));
  const reader = new ResponseReader({
    head: (status, headers) => Object.assign(seen, { status, headers }),
    body: (buf, start, end) => scanner.scan(buf, start, end),
    end: () => seen.ends++,
    error: (message) => seen.errors.push(message),
  });
  let prev = 0;
  for (const c of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    reader.push(bytes.subarray(prev, c));
    prev = c;
  }
  if (close) reader.close();
  seen.done = scanner.done;
  return seen;
}

const event = (sched: number, sent: number) =>
  `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"@${sched},${sent};"},"finish_reason":null}]}\n\n`;
const sse = (markers: [number, number][]) => `${markers.map(([a, b]) => event(a, b)).join('')}data: [DONE]\n\n`;

/** A chunked response whose body is cut into HTTP chunks of the given sizes (the rest in one last chunk). */
function chunked(body: string, sizes: number[] = []): Buffer {
  const b = Buffer.from(body);
  const parts: string[] = [];
  let at = 0;
  for (const s of [...sizes, b.length]) {
    if (at >= b.length) break;
    const piece = b.subarray(at, Math.min(b.length, at + Math.max(1, s)));
    at += piece.length;
    parts.push(`${piece.length.toString(16)}\r\n${piece.toString('latin1')}\r\n`);
  }
  const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
  return Buffer.from(`${head}${parts.join('')}0\r\n\r\n`, 'latin1');
}

describe('the stream client reading a raw response', () => {
  const three: [number, number][] = [
    [1, 2],
    [30, 45],
    [1_700_000_000_000_000, 1_700_000_000_000_123],
  ];
  const cases: { name: string; bytes: Buffer; close?: boolean; expect: Partial<Seen> }[] = [
    { name: 'chunked SSE', bytes: chunked(sse(three)), expect: { status: 200, markers: three, done: true, ends: 1, errors: [] } },
    {
      name: 'chunk extensions and a trailer',
      bytes: Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;x=1\r\n@1,2;\r\n0\r\nx-t: 1\r\n\r\n`),
      expect: { markers: [[1, 2]], ends: 1, errors: [] },
    },
    {
      name: 'content-length body',
      bytes: Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n@7,8;`),
      expect: { markers: [[7, 8]], ends: 1, errors: [] },
    },
    {
      name: 'body delimited by close',
      bytes: Buffer.from(`HTTP/1.0 200 OK\r\n\r\n${sse([[4, 5]])}`),
      close: true,
      expect: { markers: [[4, 5]], done: true, ends: 1, errors: [] },
    },
    {
      name: 'an error status',
      bytes: Buffer.from('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\n{}'),
      expect: { status: 503, markers: [], ends: 1, errors: [] },
    },
    {
      name: 'cut inside a chunk',
      bytes: chunked(sse(three)).subarray(0, 150),
      close: true,
      expect: { errors: ['connection closed (chunk-data)'], ends: 0 },
    },
    {
      name: 'a bad chunk size',
      bytes: Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'),
      expect: { errors: ['bad chunk size (byte 0x7a after 0 digits)'], ends: 0 },
    },
    {
      name: 'bare LF in the framing',
      bytes: Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\n@1,2;\r\n'),
      expect: { errors: ['bare LF in chunked framing'], markers: [] },
    },
    {
      name: 'no CRLF after chunk data',
      bytes: Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nabc\r\n'),
      expect: { errors: ['no CRLF after chunk data'] },
    },
    {
      name: 'an unsupported transfer-encoding',
      bytes: Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n'),
      expect: { errors: ['unsupported transfer-encoding gzip, chunked'] },
    },
    {
      name: 'not HTTP',
      bytes: Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'),
      expect: { errors: ['not an HTTP/1.x status line: "SSH-2.0-OpenSSH"'] },
    },
    {
      name: 'a head that never ends',
      bytes: Buffer.from(`HTTP/1.1 200 OK\r\n${'x-a: b\r\n'.repeat(10_000)}`),
      expect: { errors: ['response head over 65536 bytes'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const seen = read(c.bytes, [], c.close);
      expect(seen).toMatchObject(c.expect);
    });
  }

  it('finds every stamp and the [DONE] whatever the HTTP chunking and however the bytes are cut', () => {
    const stamp = fc.tuple(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: Number.MAX_SAFE_INTEGER }));
    fc.assert(
      fc.property(
        fc.array(stamp, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 20 }),
        fc.array(fc.nat({ max: 3000 }), { maxLength: 30 }),
        (markers, sizes, cuts) => {
          const seen = read(chunked(sse(markers), sizes), cuts);
          expect(seen.errors).toEqual([]);
          expect(seen.markers).toEqual(markers);
          expect(seen.done).toBe(true);
          expect(seen.ends).toBe(1);
        },
      ),
    );
  });

  it('never throws on hostile bytes, and never reports both an end and an error', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 10 }),
        fc.boolean(),
        (tail, cuts, close) => {
          const head = Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
          const seen = read(Buffer.concat([head, Buffer.from(tail)]), cuts, close);
          expect(seen.ends + seen.errors.length).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('stamp scanning', () => {
  const cases: { name: string; text: string; markers: [number, number][]; done: boolean }[] = [
    { name: 'a stamp after a stray @', text: '@@1,2;', markers: [[1, 2]], done: false },
    { name: 'digits missing', text: '@1,;@,2;@;', markers: [], done: false },
    { name: 'a number too long to be a stamp', text: '@12345678901234567,1;', markers: [], done: false },
    { name: 'an email address', text: 'a@b.c @5,6;', markers: [[5, 6]], done: false },
    { name: 'a [DONE] that is not a data line', text: '"[DONE]"', markers: [], done: false },
    { name: '[DONE]', text: 'data: [DONE]\n\n', markers: [], done: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got: [number, number][] = [];
      const s = new MarkerScanner((a, b) => got.push([a, b]));
      const b = Buffer.from(c.text);
      s.scan(b, 0, b.length);
      expect(got).toEqual(c.markers);
      expect(s.done).toBe(c.done);
    });
  }

  it('sees data: [DONE] split at every byte, only within the range it is given', () => {
    const b = Buffer.from('xxdata: [DONE]\n\nyy');
    for (let cut = 0; cut <= b.length; cut++) {
      const s = new MarkerScanner(() => {});
      s.scan(b, 0, cut);
      s.scan(b, cut, b.length);
      expect(s.done, `cut at ${cut}`).toBe(true);
    }
    const bytewise = new MarkerScanner(() => {});
    for (let i = 0; i < b.length; i++) bytewise.scan(b, i, i + 1);
    expect(bytewise.done).toBe(true);
    const s = new MarkerScanner(() => {});
    s.scan(b, 0, 10);
    s.scan(Buffer.from('data: [DONE]'), 6, 12);
    expect(s.done).toBe(false);
  });
});
