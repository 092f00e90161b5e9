/**
 * The content blocks an Anthropic backend's message_start holds reach an OpenAI client (they are the Anthropic SDK's
 * first blocks), their text joined into one chunk however many blocks carry it: a chunk a block repeats the answer's id
 * and model, ~24 times the event's size for one-letter blocks.
 */
import { describe, expect, it } from 'vitest';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import { anthropicEvent } from '../../helpers/anthropic-sse.js';
import { foldChat, translateBody } from '../../helpers/sse-accumulate.js';

const start = (content: object[], model = 'claude') =>
  anthropicEvent('message_start', {
    message: {
      id: 'msg',
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: null,
      usage: { input_tokens: 1, output_tokens: 1 },
    },
  });
const end =
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }) +
  anthropicEvent('message_stop', {});
const toChat = () => new MessagesToChatStream({ requestModel: 'claude', includeUsage: false, created: 1 });

describe("message_start's content blocks, to an OpenAI client", () => {
  it('their text and reasoning are the answer, in one chunk each, however many blocks', () => {
    const blocks = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? { type: 'text', text: 'a' } : { type: 'thinking', thinking: 'r' }));
    const out = translateBody(toChat(), start(blocks, 'm'.repeat(256)) + end);
    const f = foldChat(out);
    expect(f.content).toBe('a'.repeat(10_000));
    expect(f.reasoning).toBe('r'.repeat(10_000));
    // The role chunk, a chunk of reasoning, one of text, the finish, [DONE].
    expect(out.split('\n\n').filter(Boolean)).toHaveLength(5);
  });

  it('a delta for a place message_start filled continues its block', () => {
    const out = translateBody(
      toChat(),
      start([{ type: 'text', text: 'Hel' }]) +
        anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo' } }) +
        end,
    );
    expect(foldChat(out).content).toBe('Hello');
  });
});

describe('the output an answer carried in its blocks’ starts, without a usage to say it', () => {
  const noUsageEnd =
    anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null } }) + anthropicEvent('message_stop', {});

  it('is counted as deltas are: message_start’s text and thinking, a block start’s text, a tool call’s input', () => {
    const t = toChat();
    translateBody(
      t,
      start([
        { type: 'thinking', thinking: 'r'.repeat(400) },
        { type: 'text', text: 'a'.repeat(400) },
      ]) +
        anthropicEvent('content_block_start', { index: 2, content_block: { type: 'text', text: 'b'.repeat(400) } }) +
        anthropicEvent('content_block_stop', { index: 2 }) +
        anthropicEvent('content_block_start', {
          index: 3,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: { q: 'c'.repeat(392) } },
        }) +
        anthropicEvent('content_block_stop', { index: 3 }) +
        noUsageEnd,
    );
    // 400 characters each, ~4 a token: 100 + 100 + 100 + 100 (the input's JSON is 400 characters).
    expect(t.outputEstimate).toBe(400);
  });
});
