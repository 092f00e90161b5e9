/**
 * MessagesToChatStream holds a tool call opened while an earlier one is open (trust 124): bounded by `maxHeld`, past
 * which the stream ends with the error frame and nothing after it.
 */
import { describe, expect, it } from 'vitest';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import { anthropicEvent as ev, messageStart } from '../../helpers/anthropic-sse.js';
import { foldChat, translateBody } from '../../helpers/sse-accumulate.js';

const json = (index: number, partial_json: string) =>
  ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
const start = (index: number, id: string) =>
  ev('content_block_start', { index, content_block: { type: 'tool_use', id, name: 'f', input: {} } });
const end =
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }) + ev('message_stop', {});

describe('tool calls held behind an open one', () => {
  it('go out whole, in order, once the open one stops', () => {
    const s = `${messageStart({ input_tokens: 1, output_tokens: 1 })}${start(0, 'a')}${json(0, '{"x":')}${start(1, 'b')}${json(1, '{"y":2}')}${json(0, '1}')}${ev('content_block_stop', { index: 0 })}${ev('content_block_stop', { index: 1 })}${end}`;
    const f = foldChat(translateBody(new MessagesToChatStream({ requestModel: 'c', includeUsage: false, created: 1 }), s));
    expect(f.toolCalls.map((c) => [c.id, c.arguments])).toEqual([
      ['a', '{"x":1}'],
      ['b', '{"y":2}'],
    ]);
    // Every chunk of call 0 before any of call 1.
    const order = f.chunks.flatMap((c) =>
      ((c.choices as { delta: { tool_calls?: { index: number }[] } }[])[0]?.delta.tool_calls ?? []).map((t) => t.index),
    );
    expect(order).toEqual([...order].sort());
  });

  it('past maxHeld: the error frame, and nothing after it', () => {
    const s = `${messageStart({ input_tokens: 1, output_tokens: 1 })}${start(0, 'a')}${start(1, 'b')}${json(1, `{"y":"${'z'.repeat(2000)}"}`)}${json(0, '{}')}${ev('content_block_stop', { index: 0 })}${end}`;
    const t = new MessagesToChatStream({ requestModel: 'c', includeUsage: false, created: 1, maxHeld: 1000 });
    const f = foldChat(translateBody(t, s));
    expect(f.error?.message).toMatch(/more than 1000 characters of tool calls/);
    expect(f.done).toBe(false);
    expect(f.toolCalls.map((c) => c.id)).toEqual(['a']);
  });
});
