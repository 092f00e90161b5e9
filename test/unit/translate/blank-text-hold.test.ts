/**
 * An OpenAI backend's whitespace-only content, streamed to an Anthropic client: held (vLLM's tool parsers leave blank
 * lines before a call as content; a text block of whitespace alone sent back to Anthropic is its 400) — but at most
 * MAX_BLANK characters, and never sent after a tool call.
 */
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../../src/openai/sse.js';
import { ChatToMessagesStream } from '../../../src/translate/anthropic-openai-stream.js';
import { translateBody } from '../../helpers/sse-accumulate.js';

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } };

/** The content blocks the Anthropic client is given, in order, with their text. */
function blocks(upstream: string): { type: string; text: string }[] {
  const out: { type: string; text: string }[] = [];
  for (const ev of decodeSseBody(translateBody(new ChatToMessagesStream('m'), upstream))) {
    const d = JSON.parse(ev.data ?? '{}') as { type?: string; content_block?: { type: string }; delta?: { text?: string } };
    if (d.type === 'content_block_start') out.push({ type: d.content_block!.type, text: '' });
    if (d.type === 'content_block_delta' && d.delta?.text !== undefined) out.at(-1)!.text += d.delta.text;
  }
  return out;
}

describe('whitespace held in a stream to an Anthropic client', () => {
  it('after a tool call, is not given as a text block', () => {
    const got = blocks(
      `${chunk({ role: 'assistant', tool_calls: [call] })}${chunk({ content: '\n\n' })}${chunk({}, 'tool_calls')}data: [DONE]\n\n`,
    );
    expect(got.map((b) => b.type)).toEqual(['tool_use']);
  });

  it('with no call after it, is the text block it was', () => {
    const got = blocks(`${chunk({ role: 'assistant', content: '\n' })}${chunk({}, 'stop')}data: [DONE]\n\n`);
    expect(got).toEqual([{ type: 'text', text: '\n' }]);
  });

  it('is held up to 4,096 characters: a backend streaming newlines for good is relayed, not held whole', () => {
    const t = new ChatToMessagesStream('m');
    const pushed = (s: string) => decodeSseBody(s).reduce((out, ev) => out + (t.push(ev) ?? ''), '');
    pushed(chunk({ role: 'assistant' }));
    let relayed = '';
    for (let i = 0; i < 1000; i++) relayed += pushed(chunk({ content: '\n'.repeat(10) }));
    // Before the answer ends: all but what a hold of 4,096 keeps back is already the client's.
    const text = decodeSseBody(relayed)
      .map((ev) => JSON.parse(ev.data ?? '{}') as { delta?: { text?: string } })
      .reduce((n, d) => n + (d.delta?.text?.length ?? 0), 0);
    expect(text).toBeGreaterThanOrEqual(10_000 - 4096);
    const end = pushed(`${chunk({}, 'stop')}data: [DONE]\n\n`) + (t.end() ?? '');
    expect(end).toContain('message_stop');
  });
});
