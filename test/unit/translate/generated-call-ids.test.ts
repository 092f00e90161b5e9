/**
 * The id a tool call gets when its OpenAI backend sent none (an Anthropic client needs one). It repeated the answer's
 * id whole — up to 256 characters (overlongName's bound) — in every call: a chunk that started 128 calls with neither
 * id nor arguments, 5.1 KB, made 62 KB of frames for the client (12×), half of it the same id again and again; 32 KB
 * now. An answer id
 * longer than 40 characters is stood for by a digest: every generated id is at most 63 characters (it was 266), and
 * the calls of different answers stay apart.
 */
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../../src/openai/sse.js';
import { chatToMessage } from '../../../src/translate/anthropic-openai-response.js';
import { ChatToMessagesStream } from '../../../src/translate/anthropic-openai-stream.js';
import { translateBody } from '../../helpers/sse-accumulate.js';

const LONG = (c: string) => `chatcmpl-${c.repeat(247)}`;
const CALLS = 128;
const calls = Array.from({ length: CALLS }, (_, index) => ({ index, type: 'function', function: { name: 'f', arguments: '{}' } }));

/** The ids of the tool_use blocks a stream of one chunk starting CALLS id-less calls translates to. */
function streamed(answerId: string): { ids: string[] } {
  const chunk = (o: object) =>
    `data: ${JSON.stringify({ id: answerId, object: 'chat.completion.chunk', created: 1, model: 'm', ...o })}\n\n`;
  const upstream =
    chunk({ choices: [{ index: 0, delta: { role: 'assistant', tool_calls: calls }, finish_reason: null }] }) +
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) +
    'data: [DONE]\n\n';
  const out = translateBody(new ChatToMessagesStream('m'), upstream);
  const ids = decodeSseBody(out).flatMap((ev) => {
    const d = JSON.parse(ev.data ?? '{}') as { type?: string; content_block?: { type: string; id: string } };
    return d.type === 'content_block_start' && d.content_block?.type === 'tool_use' ? [d.content_block.id] : [];
  });
  return { ids };
}

function whole(answerId: string): string[] {
  const r = chatToMessage({
    id: answerId,
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' }],
  });
  if (!r.ok) throw new Error(r.error.message);
  return (JSON.parse(r.value.body) as { content: { id: string }[] }).content.map((b) => b.id);
}

describe('the id of a tool call its backend sent without one', () => {
  it.each([
    ['streamed', (id: string) => streamed(id).ids],
    ['whole', whole],
  ])('%s: at most 63 characters, whatever the answer id, each apart', (_how, idsOf) => {
    const a = idsOf(LONG('a'));
    const b = idsOf(LONG('b'));
    expect(a).toHaveLength(CALLS);
    for (const id of [...a, ...b]) {
      expect(id.length).toBeLessThanOrEqual(63);
      expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
    }
    expect(new Set([...a, ...b]).size).toBe(2 * CALLS);
  });

  it('a short answer id is kept in it, as before', () => {
    expect(streamed('chatcmpl-1').ids[3]).toBe('toolu_chatcmpl-1_3');
    expect(whole('chatcmpl-1')[3]).toBe('toolu_chatcmpl-1_3');
  });
});
