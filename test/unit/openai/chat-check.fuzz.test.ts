/**
 * The hot path checks a chat request without zod (plainChatRequest) and only asks the schema when that check
 * says no. Differential: whatever the fast check accepts, the schema accepts too — so skipping zod never lets
 * through a body it would refuse — and the ordinary requests clients send do take the fast path.
 * `npm test` runs FUZZ_RUNS (default 4,000); `npm run fuzz` runs 200,000.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainChatRequest, RoutedRequest } from '../../../src/openai/wire.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const { runs: RUNS, timeout: TIMEOUT } = fuzzRuns(4000);

/** Values near each field's edges: wrong types, nulls, fractions, negatives, unsafe integers, arrays for objects. */
const edgy = fc.oneof(
  fc.constantFrom(undefined, null, true, false, 0, 1, -1, 0.5, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, '1', '', [], {}),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Mostly a valid value (so the other fields' edges are reached with everything else passing), sometimes an edge. */
const field = (valid: fc.Arbitrary<unknown>) => fc.oneof({ weight: 5, arbitrary: valid }, { weight: 2, arbitrary: edgy });
const count = (min: number) => fc.oneof(fc.integer({ min, max: min + 3 }), fc.constant(null));
const chat = fc.record(
  {
    model: field(fc.string({ maxLength: 8 })),
    messages: field(fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 3 })),
    stream: field(fc.boolean()),
    stream_options: field(
      fc.oneof(fc.record({ include_usage: field(fc.boolean()) }, { requiredKeys: [] }), fc.array(edgy, { maxLength: 2 })),
    ),
    max_tokens: field(count(0)),
    max_completion_tokens: field(count(0)),
    seed: field(fc.oneof(fc.integer(), fc.double())),
    n: field(count(1)),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['model', 'messages'] },
);

describe('the chat fast check (plainChatRequest) against the schema (RoutedRequest.chat)', () => {
  it(
    'accepts nothing the schema refuses',
    () => {
      fc.assert(
        fc.property(chat, (body) => {
          const o = body as Record<string, unknown>;
          if (plainChatRequest(o)) expect(RoutedRequest.chat.safeParse(o).success).toBe(true);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it('takes the fast path for the requests clients send', () => {
    const common = [
      { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16, n: 2, seed: -7, temperature: 0.2 },
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: null, stream: null, stream_options: null },
    ];
    for (const o of common) {
      expect(plainChatRequest(o)).toBe(true);
      expect(RoutedRequest.chat.safeParse(o).success).toBe(true);
    }
  });

  it('leaves bad values to the schema, which words the error', () => {
    for (const bad of [
      { n: 0 },
      { max_tokens: 1.5 },
      { stream: 'yes' },
      { stream_options: [] },
      { messages: [] },
      { seed: 1.5 },
      { seed: 2 ** 64 },
    ]) {
      const o = { model: 'm', messages: [{ role: 'user' }], ...bad };
      expect(plainChatRequest(o)).toBe(false);
      expect(RoutedRequest.chat.safeParse(o).success).toBe(false);
    }
  });
});
