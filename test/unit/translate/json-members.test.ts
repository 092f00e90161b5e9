/**
 * json-members.ts finds what JSON.parse reads: for any JSON text, the span of each member of an object (the last of a
 * repeated key) and each element of an array parse to the value JSON.parse gives there — whatever the blanks, escapes
 * (in keys too), brackets inside strings, and nesting — and a translated Message's calls read from its text are the
 * calls its parsed value gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { elementStarts, memberSpan, valueEnd } from '../../../src/translate/json-members.js';
import { messageToChat } from '../../../src/translate/openai-anthropic-response.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const FUZZ = fuzzRuns(500, { msPerCase: 1, share: 0.01 });
const key = fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', '\n', '}', ']', ',', ':', 'é', '😀'), maxLength: 4 });

describe('json-members', () => {
  it(
    "an object's members and an array's elements, as JSON.parse reads them",
    () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(key, fc.jsonValue()), { maxLength: 6 }), fc.constantFrom(0, 1, '\t', ' \r\n'), (members, indent) => {
          // Written with keys repeated as they come (JSON.stringify of an object could not repeat one).
          const pad = typeof indent === 'number' ? ' '.repeat(indent) : indent;
          const text = `${pad}{${pad}${members.map(([k, v]) => `${JSON.stringify(k)}${pad}:${pad}${JSON.stringify(v, null, indent)}`).join(`${pad},${pad}`)}${pad}}${pad}`;
          const parsed = JSON.parse(text) as Record<string, unknown>;
          for (const [k] of members) {
            const span = memberSpan(text, 0, k)!;
            expect(JSON.parse(text.slice(span.start, span.end))).toEqual(parsed[k]);
          }
          expect(memberSpan(text, 0, 'not a key \u0000')).toBeUndefined();
          const values = members.map(([, v]) => v);
          const array = `${pad}[${pad}${values.map((v) => JSON.stringify(v, null, indent)).join(`${pad},${pad}`)}${pad}]`;
          const starts = elementStarts(array, 0)!;
          expect(starts.map((at) => JSON.parse(array.slice(at, valueEnd(array, at))))).toEqual(JSON.parse(array));
        }),
        { numRuns: FUZZ.runs },
      );
    },
    FUZZ.timeout,
  );

  it('nothing where there is no object or array', () => {
    expect(memberSpan('[1]', 0, 'a')).toBeUndefined();
    expect(memberSpan('"a"', 0, 'a')).toBeUndefined();
    expect(elementStarts('{"a":1}', 0)).toBeUndefined();
    expect(elementStarts(' [ ] ', 0)).toEqual([]);
  });
});

describe('messageToChat reading the inputs from the Message text', () => {
  const block = fc.oneof(
    fc.record({ type: fc.constant('text'), text: fc.string() }),
    fc.record({
      type: fc.constant('tool_use'),
      id: fc.constant('toolu_1'),
      name: fc.constant('f'),
      input: fc.dictionary(key, fc.jsonValue()),
    }),
  );
  it(
    'gives each call the arguments the parsed Message gives it, however the text is spaced',
    () => {
      fc.assert(
        fc.property(fc.array(block, { maxLength: 5 }), fc.constantFrom(0, 1, '\t'), (content, indent) => {
          const message = {
            id: 'msg',
            type: 'message',
            role: 'assistant',
            model: 'c',
            content,
            stop_reason: 'end_turn',
            usage: { input_tokens: 1, output_tokens: 1 },
          };
          const text = JSON.stringify(message, null, indent);
          const read = (t?: string) => {
            const r = messageToChat(JSON.parse(text), 1, t);
            if (!r.ok) throw new Error(r.error.message);
            const m = (
              JSON.parse(r.value.body) as {
                choices: { message: { content: unknown; tool_calls?: { function: { arguments: string } }[] } }[];
              }
            ).choices[0]!.message;
            return { content: m.content, calls: (m.tool_calls ?? []).map((c) => JSON.parse(c.function.arguments) as unknown) };
          };
          expect(read(text)).toEqual(read());
        }),
        { numRuns: FUZZ.runs },
      );
    },
    FUZZ.timeout,
  );
});
