/**
 * A client's trace context keeps nothing of its headers in the spans that wait for the collector (attacker review).
 * A span keeps its trace's TraceState, which keeps the tracestate header it was made from (up to the 15 KiB of a
 * request's headers) whatever it reads of it, and the trace and parent ids the propagator cut out of a traceparent —
 * views that keep a later version's 15 KiB header alive. Any client's sampled traceparent records a span whatever
 * sampleRatio says, and without captureContent 8,192 spans wait (spanQueue: "a few hundred bytes" each): ~120 MiB of
 * headers, beside the batches in flight, while a collector was slow or down. Weighed here on 1,000 spans waiting for a
 * collector that accepts and never answers.
 */
import { createServer, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTracing } from '../../../src/observe/tracing.js';
import { traceparentOf, tracestateOf } from '../../../src/observe/tracing-otel.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const SPANS = 1000;
const HEADER = 14 * 1024;
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

// A collector that takes the connection and never answers: every export waits (up to the exporter's 10 s).
const sockets: Socket[] = [];
const hung = createServer((s) => {
  sockets.push(s);
  s.on('error', () => {});
});
await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
const collector = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
afterAll(() => {
  for (const s of sockets) s.destroy();
  hung.close();
});

/** A traceparent and tracestate of `i`, each its own string of about HEADER characters (as a request's headers are). */
function hostileHeaders(i: number): { traceparent: string; tracestate: string } {
  const id = (i + 1).toString(16).padStart(32, '0');
  return {
    // Version cc: its own fields may follow the 55 characters version 00 has.
    traceparent: `cc-${id}-b7ad6b7169203331-01-${String(i).padStart(8, '0')}${'x'.repeat(HEADER)}`,
    tracestate: `aigw=t${i},${`junk${i}=${'y'.repeat(200)},`.repeat(HEADER / 210)}`,
  };
}

describe("a client's trace headers, in the spans waiting for the collector", () => {
  it('1,000 sampled spans with 14 KiB traceparent and tracestate headers hold well under their 28 MiB', async () => {
    const tracing = await createTracing({ otlp: collector, sampleRatio: 0, captureContent: false });
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < SPANS; i++) {
      const span = tracing.startRequest({ endpoint: 'chat', ...hostileHeaders(i), attrs: { requestId: `r${i}` } });
      expect(span.recording).toBe(true);
      span.startAttempt({ backend: 'b', attempt: 1 }).end({ status: 200 });
      span.end(200);
    }
    gc();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Held: 1,000 × 28 KiB = 27 MiB of headers, beside the 2,000 spans themselves and the batches being sent.
    expect(grown).toBeLessThan(12 * 1024 * 1024);
    void tracing.shutdown(10);
  }, 30_000);

  it('carries on what it would have: the trace, and the members of a tracestate that fit W3C’s 512 characters', async () => {
    const tracing = await createTracing({ otlp: collector, sampleRatio: 1, captureContent: false });
    const { traceparent, tracestate } = hostileHeaders(41);
    const a = tracing.startRequest({ endpoint: 'chat', traceparent, tracestate }).startAttempt({ backend: 'b', attempt: 1 });
    expect(a.traceparent).toMatch(/^00-0{30}2a-[0-9a-f]{16}-01$/);
    expect(a.tracestate?.startsWith('aigw=t41,junk41=')).toBe(true);
    expect(a.tracestate!.length).toBeLessThanOrEqual(512);
    const plain = tracing
      .startRequest({
        endpoint: 'chat',
        traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01`,
        tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      })
      .startAttempt({ backend: 'b', attempt: 1 });
    expect(plain.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(plain.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    void tracing.shutdown(10);
  });
});

describe('traceparentOf and tracestateOf', () => {
  const v00 = `00-${TRACE_ID}-b7ad6b7169203331-01`;
  const cases: [string, string | string[] | undefined, string | undefined][] = [
    ['none', undefined, undefined],
    ['version 00 as sent', v00, v00],
    ['with the blank the propagator allows', ` ${v00} `, ` ${v00} `],
    ['the first of repeated ones', [v00, 'junk'], v00],
    [
      "a later version's own fields: its first 55 characters",
      `cc-${TRACE_ID}-b7ad6b7169203331-01-${'z'.repeat(5000)}`,
      `cc-${TRACE_ID}-b7ad6b7169203331-01`,
    ],
    ['version 00 with more: none', `${v00}-${'z'.repeat(100)}`, undefined],
    ['a long value that is not one', 'q'.repeat(5000), undefined],
  ];
  it.each(cases)('traceparent: %s', (_name, given, want) => {
    expect(traceparentOf(given)).toBe(want);
  });

  it('tracestate: short values as sent (joined when repeated), long ones as the members the propagator keeps', () => {
    expect(tracestateOf(undefined)).toBeUndefined();
    expect(tracestateOf('a=1,b=2')).toBe('a=1,b=2');
    expect(tracestateOf(['a=1', 'b=2'])).toBe('a=1,b=2');
    expect(tracestateOf(`a=1,${'#'.repeat(5000)}`)).toBe('a=1');
    expect(tracestateOf('#'.repeat(5000))).toBeUndefined();
  });
});
