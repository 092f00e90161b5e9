/**
 * A backend's error event is known on the relay's fast path (its bytes) exactly as on its slow path (the decoded
 * data): `{"error": …}`, `{"object": "error", …}` (vLLM's older shape), `{"type": "error", …}` (Anthropic's),
 * however spaced. Read as the bytes `{"error"` alone, the others went through as content, secrets and all.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_JSON, isErrorData } from '../../../src/relay/sse-bytes.js';

const line = (data: string) => Buffer.from(`data: ${data}\n\n`);

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
    ['{"id":"1","choices":[{"delta":{"content":"{\\"error\\":1}"}}]}', false],
    ['{"object":"chat.completion.chunk","choices":[]}', false],
    ['{"type":"response.output_text.delta","delta":"error"}', false],
    ['{"errors":[]}', false],
    ['[DONE]', false],
  ])('%s → %s, on both paths', (data, expected) => {
    expect(isErrorData(line(data), 0)).toBe(expected);
    expect(ERROR_JSON.test(data)).toBe(expected);
  });

  it('is told the same way on both paths, for any first member and spacing', () => {
    const blank = fc.stringMatching(/^[ \t]{0,3}$/);
    const key = fc.constantFrom('"error"', '"object"', '"type"', '"id"', '"err"', '"errors"', '"typed"');
    const value = fc.constantFrom('"error"', '"err"', '"errors"', '"chat.completion.chunk"', '{"message":"m"}', '1');
    fc.assert(
      fc.property(blank, blank, key, blank, blank, value, fc.boolean(), (lead, a, k, b, c, v, space) => {
        // What a decoder hands the slow path: the field's one optional space taken, any other blank kept.
        const data = `${lead}{${a}${k}${b}:${c}${v}}`;
        const bytes = Buffer.from(`data:${space ? ' ' : ''}${data}\n\n`);
        expect(isErrorData(bytes, 0)).toBe(ERROR_JSON.test(data));
      }),
      { numRuns: 2000 },
    );
  });
});
