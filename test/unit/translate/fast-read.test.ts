/** The hot-path readers answer exactly as the zod schemas they stand in for, on anything JSON.parse can produce. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentBlockDeltaEvent } from '../../../src/anthropic/response.js';
import { readBlockDelta, readChatChunk, readChatUsage } from '../../../src/translate/fast-read.js';
import { ChatChunk, ChatUsage } from '../../../src/translate/openai-chat.js';

/** Values near the valid shape: each field either right or replaced by an arbitrary JSON value. */
const maybe = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const text = fc.oneof(fc.string({ maxLength: 6 }), fc.constant(null));
const count = fc.oneof(
  fc.nat(),
  fc.integer({ min: -2, max: -1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(2 ** 60),
);
const toolCall = fc.record(
  {
    index: maybe(count),
    id: maybe(text),
    function: maybe(fc.option(fc.record({ name: maybe(text), arguments: maybe(text) }, { requiredKeys: [] }))),
  },
  { requiredKeys: [] },
);
const choice = fc.record(
  {
    index: fc.nat(),
    delta: maybe(
      fc.option(
        fc.record(
          {
            content: maybe(text),
            refusal: maybe(text),
            reasoning_content: maybe(text),
            reasoning: maybe(text),
            tool_calls: maybe(fc.option(fc.array(toolCall, { maxLength: 2 }))),
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    finish_reason: maybe(text),
    stop_reason: maybe(fc.oneof(text, fc.integer())),
  },
  { requiredKeys: [] },
);
const usage = fc.record(
  {
    prompt_tokens: maybe(count),
    completion_tokens: maybe(count),
    prompt_tokens_details: maybe(fc.option(fc.record({ cached_tokens: maybe(fc.option(count)) }, { requiredKeys: [] }))),
  },
  { requiredKeys: [] },
);
const chunk = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      id: maybe(fc.string()),
      model: maybe(fc.string()),
      choices: maybe(fc.array(choice, { maxLength: 2 })),
      usage: maybe(fc.option(usage)),
    },
    { requiredKeys: [] },
  ),
);
const delta = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      type: maybe(fc.constant('content_block_delta')),
      index: maybe(count),
      delta: maybe(
        fc.record(
          {
            type: maybe(
              fc.constantFrom('text_delta', 'input_json_delta', 'thinking_delta', 'signature_delta', 'citations_delta', 'shiny_delta'),
            ),
            text: maybe(fc.string()),
            partial_json: maybe(fc.string()),
            thinking: maybe(fc.string()),
            signature: maybe(fc.string()),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('fast readers agree with the zod schemas', () => {
  it('readChatChunk ⇔ ChatChunk', () => {
    fc.assert(
      fc.property(chunk, (v) => {
        const json = JSON.parse(JSON.stringify(v) ?? 'null');
        expect(readChatChunk(json) !== undefined).toBe(ChatChunk.safeParse(json).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('readChatUsage ⇔ ChatUsage (null or left out: none)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 2 }), usage), (v) => {
        const json = JSON.parse(JSON.stringify(v) ?? 'null');
        expect(readChatUsage(json) !== undefined).toBe(json !== null && ChatUsage.safeParse(json).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('readBlockDelta ⇔ ContentBlockDeltaEvent', () => {
    fc.assert(
      fc.property(delta, (v) => {
        const json = JSON.parse(JSON.stringify(v) ?? 'null');
        expect(readBlockDelta(json) !== undefined).toBe(ContentBlockDeltaEvent.safeParse(json).success);
      }),
      { numRuns: 2000 },
    );
  });
});
