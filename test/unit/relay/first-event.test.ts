/** Where a stream's first event ends, read as its bytes grow, and whether it is the backend's error. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirstEventEnd, leadingEvent, PREAMBLE } from '../../../src/relay/first-event.js';
import { isOpenAiErrorEvent } from '../../../src/relay/sse-relay.js';
import { isAnthropicErrorEvent, isAnthropicPreamble } from '../../../src/translate/anthropic-tap.js';

/** The reference, over the whole stream at once: its lines as SSE splits them (a CRLF is one end), the first empty one after a field. */
function referenceEnd(s: string): number {
  let fields = false;
  let lineStart = true;
  for (const m of s.matchAll(/[^\r\n]+|\r\n|\r|\n/g)) {
    if (m[0][0] !== '\r' && m[0][0] !== '\n') {
      fields = true;
      lineStart = false;
    } else if (lineStart && fields) return m.index + m[0].length;
    else lineStart = true;
  }
  return -1;
}

/** FirstEventEnd fed the stream's bytes growing by `cuts`, as reads come: its first answer, and the bytes it had then. */
function endAsRead(s: string, cuts: number[]): { end: number; had: number } {
  const b = Buffer.from(s, 'latin1');
  const scan = new FirstEventEnd();
  for (const at of [...cuts.filter((c) => c > 0 && c < b.length).sort((x, y) => x - y), b.length]) {
    const end = scan.in(b.subarray(0, at));
    if (end >= 0) return { end, had: at };
  }
  return { end: -1, had: b.length };
}

describe('FirstEventEnd', () => {
  it('after next(end), finds the event after the one that ended there, from where it starts', () => {
    const b = Buffer.from('event: message_start\r\ndata: {}\r\n\r\n\nevent: error\ndata: {}\n\nmore');
    const scan = new FirstEventEnd();
    const first = scan.in(b);
    expect(b.subarray(0, first).toString()).toBe('event: message_start\r\ndata: {}\r\n\r\n');
    scan.next(first);
    const second = scan.in(b.subarray(0, first + 5));
    expect(second).toBe(-1);
    const end = scan.in(b);
    expect(b.subarray(scan.start, end).toString()).toBe('\nevent: error\ndata: {}\n\n');
  });

  it('ends at the first blank line after a field, under every line ending', () => {
    for (const [s, end] of [
      ['data: x\n\ndata: y\n\n', 9],
      ['data: x\r\n\r\ndata: y', 11],
      ['data: x\r\rmore', 9],
      ['\n\r\n\rdata: x\n\n', 13],
      ['event: error\ndata: {}\n\n', 23],
      ['data: x\n', -1],
      ['\n\n\n', -1],
    ] as const)
      expect(endAsRead(s, []).end, JSON.stringify(s)).toBe(end);
  });

  it('agrees with the reference however the bytes are cut into reads (a CR a read ends on may leave its LF out)', () => {
    const stream = fc.string({ unit: fc.constantFrom('d', 'a', ':', ' ', 'x', '\r', '\n'), maxLength: 40 });
    fc.assert(
      fc.property(stream, fc.array(fc.nat(40), { maxLength: 8 }), (s, cuts) => {
        const want = referenceEnd(s);
        const { end, had } = endAsRead(s, cuts);
        if (want < 0) return end === -1;
        // Read whole, exactly the reference; a read that ended on the blank line's CR is answered before its LF came.
        return end === want || (end === want - 1 && had === end && s[end - 1] === '\r' && s[end] === '\n');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('leadingEvent', () => {
  const ev = (s: string) => Buffer.from(s);
  it("an OpenAI stream's error event, as the relay reads one", () => {
    expect(leadingEvent(ev('data: {"error":{"message":"engine dead","code":500}}\n\n'), isOpenAiErrorEvent)).toContain('engine dead');
    expect(leadingEvent(ev('data: {"object":"error","message":"m"}\n\n'), isOpenAiErrorEvent)).toBeDefined();
    expect(leadingEvent(ev('data: {"\\u0065rror":{"message":"m"}}\n\n'), isOpenAiErrorEvent)).toBeDefined();
    expect(leadingEvent(ev('data: {"error":null,"choices":[]}\n\n'), isOpenAiErrorEvent)).toBeUndefined();
    expect(leadingEvent(ev('data: {"choices":[{"delta":{"content":"error"}}]}\n\n'), isOpenAiErrorEvent)).toBeUndefined();
    expect(leadingEvent(ev(': keep-alive\n\n'), isOpenAiErrorEvent)).toBeUndefined();
    expect(leadingEvent(ev('data: [DONE]\n\n'), isOpenAiErrorEvent)).toBeUndefined();
  });

  it("an Anthropic stream's preamble (message_start, ping) is read past; content, a named other event or no data is not", () => {
    const lead = (s: string) => leadingEvent(ev(s), isAnthropicErrorEvent, isAnthropicPreamble);
    expect(lead('event: message_start\ndata: {"type":"message_start","message":{}}\n\n')).toBe(PREAMBLE);
    expect(lead('data: {"type":"message_start","message":{}}\n\n')).toBe(PREAMBLE);
    expect(lead('event: ping\ndata: {"type": "ping"}\n\n')).toBe(PREAMBLE);
    expect(lead('event: content_block_start\ndata: {"type":"message_start"}\n\n')).toBeUndefined();
    expect(lead('event: content_block_start\ndata: {"type":"content_block_start","index":0}\n\n')).toBeUndefined();
    expect(lead('event: message_start\n\n')).toBeUndefined();
    expect(lead('event: error\ndata: {"type":"message_start"}\n\n')).toBe('{"type":"message_start"}');
    // Without the dialect's preamble (OpenAI's streams have none), a message_start is the answer's start.
    expect(leadingEvent(ev('data: {"type":"message_start"}\n\n'), isAnthropicErrorEvent)).toBeUndefined();
  });

  it("an Anthropic stream's, named or typed so; a ping or a message_start is not", () => {
    const overloaded = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    expect(leadingEvent(ev(`event: error\ndata: ${overloaded}\n\n`), isAnthropicErrorEvent)).toBe(overloaded);
    expect(leadingEvent(ev(`data: ${overloaded}\n\n`), isAnthropicErrorEvent)).toBe(overloaded);
    expect(leadingEvent(ev('event: ping\ndata: {"type":"error"}\n\n'), isAnthropicErrorEvent)).toBeUndefined();
    expect(
      leadingEvent(ev('event: message_start\ndata: {"type":"message_start","message":{}}\n\n'), isAnthropicErrorEvent),
    ).toBeUndefined();
  });
});
