/**
 * The SSE decoder against openai-node's own (`_iterSSEMessages`, what the SDK reads a stream with), over generated
 * streams cut anywhere: what a client's SDK takes for an event — an error, `[DONE]`, a chunk — the gateway must take
 * for the same one, or a backend's error goes through unscrubbed and a stream it ended looks cut (or whole).
 */
import fc from 'fast-check';
import { _iterSSEMessages } from 'openai/core/streaming';
import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseEvent } from '../../../src/openai/sse.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const { runs: RUNS, timeout: TIMEOUT } = fuzzRuns(1000, { msPerCase: 5 });

/**
 * Events as the SDK yields them: an event name or data lines, the data joined with `\n` ('' when none). An empty name
 * is none (the SDK carries a lone `event:`'s '' into the next event: the same to every reader of it).
 */
type Seen = { event: string | null; data: string };

async function bySdk(bytes: Buffer, cuts: number[]): Promise<Seen[]> {
  const pieces = splitAt(bytes, cuts);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(new Uint8Array(p));
      c.close();
    },
  });
  const out: Seen[] = [];
  for await (const m of _iterSSEMessages(new Response(body), new AbortController())) out.push({ event: m.event || null, data: m.data });
  return out;
}

function byDecoder(bytes: Buffer, cuts: number[]): Seen[] {
  const out: Seen[] = [];
  const dec = new SseDecoder();
  // Comment-only blocks are events to the relay (forwarded at once), nothing to the SDK; nor is a block whose only
  // field is an empty event name (no data, no name: nothing either reads).
  const sink = {
    onEvent: (e: SseEvent) => {
      if (e.event || e.data !== undefined) out.push({ event: e.event || null, data: e.data ?? '' });
    },
  };
  for (const p of splitAt(bytes, cuts)) dec.push(p, sink);
  dec.end(sink);
  return out;
}

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts.map((x) => x % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    if (cut <= at) continue;
    out.push(bytes.subarray(at, cut));
    at = cut;
  }
  return out;
}

describe('the SSE decoder against openai-node’s', () => {
  const BOM = '\uFEFF';
  const text = fc.stringMatching(/^[^\r\n]{0,10}$/);
  const line = fc.oneof(
    fc.constantFrom('data: [DONE]', 'data:[DONE]', ': ping', 'event: error', 'event:delta', 'id: 7', 'retry: 10', 'data:', 'data', ''),
    text.map((t) => `data: {"choices":[{"delta":{"content":${JSON.stringify(t)}}}]}`),
    text.map((t) => `data:${t}`),
    text.map((t) => `event: ${t}`),
    fc.constantFrom('data: {"error":{"message":"bad key"}}', 'data: 北京 café 🌍', `data: ${BOM}x`),
    // A byte-order mark before a line: the SDK decodes each line on its own, so it drops one wherever it stands.
    fc.constantFrom(`${BOM}data: [DONE]`, `${BOM}data: {"error":{"message":"k"}}`, `${BOM}event: error`, `${BOM}: ping`, BOM),
  );
  const eol = fc.constantFrom('\n', '\r\n', '\r');
  const streams = fc
    .array(fc.tuple(fc.array(line, { minLength: 1, maxLength: 3 }), eol), { minLength: 1, maxLength: 6 })
    .map((evs) => Buffer.from(evs.map(([ls, e]) => `${ls.join(e)}${e}${e}`).join('')));

  it(
    'finds the same events in any stream, cut anywhere: names and data, byte-order marks and CRs included',
    async () => {
      await fc.assert(
        fc.asyncProperty(streams, fc.uniqueArray(fc.nat(), { maxLength: 12 }), async (bytes, cuts) => {
          expect(byDecoder(bytes, cuts)).toEqual(await bySdk(bytes, cuts));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
