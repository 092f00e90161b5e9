/**
 * The SSE relay's fast path against its full decoder, over generated streams cut anywhere: what `npm run fuzz`
 * runs long (FUZZ_RUNS), the suite briefly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseRelay } from '../../../src/relay/sse-relay.js';
import { DecodingRelay, fakeClient } from '../../helpers/relay-client.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const { runs: RUNS, timeout: TIMEOUT } = fuzzRuns(2000);

describe('the SSE relay’s fast path', () => {
  const text = fc.stringMatching(/^[^\r\n]{0,12}$/);
  const line = fc.oneof(
    fc.constantFrom(
      'data: [DONE]',
      'data:[DONE]',
      'data: [DONE] ',
      'data:  [DONE]',
      ': ping',
      'event: delta',
      'id: 7',
      'retry: 10',
      'data:',
      'data',
      '',
    ),
    text.map((t) => `data: {"choices":[{"delta":{"content":${JSON.stringify(t)}}}],"model":"m-${t.length}"}`),
    text.map((t) => `data:${t}`),
    fc.nat(99).map((n) => `data: {"choices":[],"usage":{"prompt_tokens":${n},"completion_tokens":${n + 1},"total_tokens":${2 * n + 1}}}`),
    fc.nat(99).map((n) => `data: {"choices":[{"delta":{}}],"usage":{"prompt_tokens":${n},"completion_tokens":2,"total_tokens":${n + 2}}}`),
    // OpenAI's chunks of a stream that asked for usage: `"usage": null` in each but the last (spaced or not, even
    // where no choices are), and a backend's event holding more null keys than the fast path looks at.
    text.map((t) => `data: {"choices":[{"delta":{"content":${JSON.stringify(t)}}}],"usage":null}`),
    // OpenAI's chunks since 2026: an `obfuscation` member after the null usage; and a real usage a few bytes after one.
    text.map((t) => `data: {"choices":[{"delta":{"content":"a"}}],"usage":null,"obfuscation":${JSON.stringify(t)}}`),
    fc
      .nat(40)
      .map((n) => `data: {"usage":null,${'"x":0,'.repeat(n % 9)}"choices":[],"usage":{"prompt_tokens":${n},"completion_tokens":2}}`),
    fc.constantFrom('data: {"choices":[],"usage" : null}', 'data: {"usage":\tnull,"choices":[{"delta":{}}]}', 'data: {"usage":nul}'),
    fc.nat(12).map((n) => `data: {${'"usage":null,'.repeat(n)}"choices":[],"usage":{"prompt_tokens":${n},"completion_tokens":1}}`),
    // Keys spelt with escapes (a JSON parser reads `"\u0075sage"` as `"usage"`), a null after the real usage, a
    // null on the next data line, and escapes an encoder writes for non-ASCII text.
    fc.constantFrom(
      'data: {"choices":[],"usage":null,"\\u0075sage":{"prompt_tokens":5,"completion_tokens":6}}',
      'data: {"\\u0063hoices":[],"us\\u0061ge":{"prompt\\u005ftokens":8,"completion_tokens":9}}',
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4},"x":{"usage":null}}',
      'data: {"choices":[],"usage":\ndata: null}',
      'data: {"choices":[{"delta":{"content":"caf\\u00e9 \\u00e0 \\u0000"}}]}',
      'data: {"choices":[{"delta":{"content":"\\\\u0075"}}]}',
    ),
    // A byte-order mark before a line: the node SDKs drop it (one TextDecoder call a line), so the relay does too.
    fc.constantFrom(
      '\uFEFFdata: [DONE]',
      '\uFEFFdata: {"choices":[{"delta":{"content":"b"}}]}',
      '\uFEFFdata: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":5}}',
      '\uFEFF: ping',
      '\uFEFF',
    ),
  );
  const streams = fc
    .array(fc.array(line, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 })
    .map((evs) => Buffer.from(evs.map((ls) => `${ls.join('\n')}\n\n`).join('')));

  it(
    'reads any stream, cut anywhere, exactly as the full decoder does: bytes out, [DONE], output events, usage, model',
    () => {
      fc.assert(
        fc.property(streams, fc.uniqueArray(fc.nat(), { maxLength: 24 }), fc.boolean(), (bytes, cuts, dropUsage) => {
          const run = (Relay: typeof SseRelay) => {
            const c = fakeClient();
            c.out.writeHead(200, {});
            let first = 0;
            const relay = new Relay(c.out, dropUsage, () => first++, 1024 * 1024);
            let at = 0;
            for (const cut of [...cuts.map((x) => x % bytes.length).sort((a, b) => a - b), bytes.length]) {
              if (cut <= at) continue;
              relay.push(bytes.subarray(at, cut));
              at = cut;
            }
            relay.flushHeld(false);
            return { out: c.text(), done: relay.sawDone, events: relay.outputEvents, usage: relay.usage, model: relay.model, first };
          };
          expect(run(SseRelay)).toEqual(run(DecodingRelay));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
