/**
 * A backend's error event is told as the client's SDK tells it — openai-node's `data.error`, openai-python's
 * `data.get("error")`: a top-level `error` that is not empty, wherever it stands (OpenRouter's mid-stream error
 * follows the chunk's id, model and provider) — and as vLLM's older `{"object": "error"}` and Anthropic's
 * `{"type": "error"}`; the same on the relay's fast path (its bytes) and on the decoder's. An error event never
 * reaches the client (its text may echo a secret: aigw's frame carries it, scrubbed); anything else does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_JSON } from '../../../src/relay/sse-bytes.js';
import { SseRelay } from '../../../src/relay/sse-relay.js';
import { DecodingRelay, relayOn } from '../../helpers/relay-client.js';

/**
 * What the relay is held to: the SDK's reading of a JSON text — a top-level `error` that is not empty, or the first
 * member as spelt saying `"error"` (`object`/`type`). A text JSON.parse refuses may still be read by another parser
 * (Python's json takes NaN): spelt with an `"error"` member anywhere, it is an error.
 */
function isErrorToSdk(data: string): boolean {
  // Spelt as a parser reads it: a letter written as an escape (`"\u0065rror"`) is that letter.
  const spelt = data.replace(/\\u00(?:5[fF]|6[1-9a-fA-F]|7[0-9aA])/g, (e) => JSON.parse(`"${e}"`) as string);
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return ERROR_JSON.test(spelt) || /"error"[ \t\r\n]*:/.test(spelt);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  return Boolean((json as { error?: unknown }).error) || /^[ \t\r\n]*\{[ \t\r\n]*"(?:object|type)"[ \t\r\n]*:[ \t\r\n]*"error"/.test(spelt);
}

/** Whether a relay of `Relay`'s kind failed the stream on this event, and whether the client got its bytes. */
function relayed(Relay: typeof SseRelay, data: string) {
  const { c, relay } = relayOn(Relay, false, 1 << 20, (t) => t);
  // A first event (the answer's model is read from it), then the one under test.
  relay.push(Buffer.from('data: {"id":"1","model":"m","choices":[{"delta":{"content":"a"}}]}\n\n'));
  relay.push(Buffer.from(`data: ${data}\n\n`));
  return { failed: relay.failed !== undefined, passed: c.text().includes(data) };
}

describe('an error event', () => {
  it.each([
    ['{"error":{"message":"x"}}', true],
    ['{ "error": {"message": "x"}}', true],
    ['{\t"error":"x"}', true],
    ['{"object":"error","message":"x"}', true],
    ['{"object": "error", "message": "x"}', true],
    ['{"type":"error","error":{"type":"overloaded_error"}}', true],
    ['{"type" :  "error"}', true],
    [' {"error":"two spaces after data:"}', true],
    ['\t{"error":"a tab"}', true],
    ['{"error": not json', true],
    ['{"id":"1","error":{"message":"x"},"choices":[{"logprobs":{"content":[{"logprob":-Infinity}]}}]}', true],
    ['{"object":"error","message":"x","0":1}', true],
    // OpenRouter's mid-stream error.
    [
      '{"id":"c1","object":"chat.completion.chunk","model":"m","provider":"p","error":{"code":"server_error","message":"x"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}',
      true,
    ],
    ['{"id":"1","\\u0065rror":{"message":"spelt with an escape"}}', true],
    // Not JSON to JSON.parse, JSON to Python's json (NaN), and its error member spelt with an escape.
    ['{"id":"1","\\u0065rror":{"message":"x"},"choices":[{"logprobs":{"content":[{"logprob":NaN}]}}]}', true],
    // vLLM's older shape and Anthropic's, their names or values spelt with escapes.
    ['{"\\u006fbject":"error","message":"x"}', true],
    ['{"t\\u0079pe":"\\u0065rror","error":null}', true],
    // Not an error to the SDK: an empty `error`, the word as a value or deeper down.
    ['{"error":null,"id":"1","choices":[{"delta":{"content":"b"}}]}', false],
    ['{"id":"1","error":"","choices":[]}', false],
    ['{"id":"1","choices":[{"delta":{"content":"error"},"finish_reason":null}]}', false],
    ['{"id":"1","choices":[{"delta":{"content":"{\\"error\\":1}"}}]}', false],
    ['{"id":"1","x":{"error":{"message":"nested"}}}', false],
    ['{"object":"chat.completion.chunk","choices":[]}', false],
    ['{"type":"response.output_text.delta","delta":"error"}', false],
    ['{"errors":[]}', false],
  ])('%s → %s, on both paths', (data, error) => {
    expect(isErrorToSdk(data)).toBe(error);
    for (const Relay of [SseRelay, DecodingRelay]) expect(relayed(Relay, data)).toEqual({ failed: error, passed: !error });
  });

  it.each([
    ['{"error":{"message":"engine step failed"}}', 502],
    ['{"error":{"message":"x","type":"internal_error","code":500}}', 500],
    ['{"type":"error","error":{"type":"overloaded_error","message":"x"}}', 503],
    ['{"error":{"message":"x","type":"BadRequestError","code":400}}', 400],
    ['{"error":{"message":"slow down","code":"rate_limit_exceeded"}}', 429],
    ['{"error": not json', 502],
  ])('%s means %i — whether the cut is the backend failing or the request, on both paths', (data, status) => {
    for (const Relay of [SseRelay, DecodingRelay]) {
      const { relay } = relayOn(Relay, false, 1 << 20, (t) => t);
      relay.push(Buffer.from(`data: {"id":"1","model":"m","choices":[{"delta":{"content":"a"}}]}\n\ndata: ${data}\n\n`));
      expect(relay.failedStatus).toBe(status);
    }
  });

  it('is told the same way on both paths as the SDK tells it, for any members, order and spacing', () => {
    const blank = fc.stringMatching(/^[ \t]{0,2}$/);
    const name = fc.constantFrom('"error"', '"object"', '"type"', '"id"', '"errors"', '"\\u0065rror"');
    const value = fc.constantFrom('"error"', '""', '"errors"', '"chat.completion.chunk"', '{"message":"m"}', 'null', '1', '0', '[]');
    const member = fc.tuple(blank, name, blank, blank, value).map(([a, k, b, c, v]) => `${a}${k}${b}:${c}${v}`);
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 4 }), fc.boolean(), (members, cut) => {
        const data = `{${members.join(',')}${cut ? '' : '}'}`;
        const error = isErrorToSdk(data);
        for (const Relay of [SseRelay, DecodingRelay]) expect(relayed(Relay, data)).toEqual({ failed: error, passed: !error });
      }),
      { numRuns: 1500 },
    );
  });
});
