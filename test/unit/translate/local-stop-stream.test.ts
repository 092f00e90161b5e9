/**
 * Whitespace held for a stop sequence the backend was not sent (local-stop.ts) that never came goes out with the rest
 * of the answer however the stream ends: a message_stop without a message_delta (finish_reason stop) too.
 */
import { describe, expect, it } from 'vitest';
import { messageToChat } from '../../../src/translate/openai-anthropic-response.js';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import { anthropicEvent } from '../../helpers/anthropic-sse.js';
import { foldChat, translateBody } from '../../helpers/sse-accumulate.js';

const start = anthropicEvent('message_start', {
  message: {
    id: 'msg',
    type: 'message',
    role: 'assistant',
    model: 'claude',
    content: [],
    stop_reason: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  },
});
const text = (t: string) =>
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } }) +
  anthropicEvent('content_block_stop', { index: 0 });

describe('text held for a whitespace stop that never came', () => {
  it('reaches the client when message_stop comes without a message_delta', () => {
    const t = new MessagesToChatStream({ requestModel: 'claude', includeUsage: false, created: 1, stops: ['\n\n'] });
    const f = foldChat(translateBody(t, start + text('Hello\n') + anthropicEvent('message_stop', {})));
    expect(f.content).toBe('Hello\n');
  });

  it('reaches the client after a message_delta, as before', () => {
    const t = new MessagesToChatStream({ requestModel: 'claude', includeUsage: false, created: 1, stops: ['\n\n'] });
    const end = anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } });
    const f = foldChat(translateBody(t, start + text('Hello\n') + end + anthropicEvent('message_stop', {})));
    expect(f.content).toBe('Hello\n');
  });
});

describe('a longer whitespace stop begun in one text block and ended in the next', () => {
  const stops = ['\t', ' \t\t'];
  it('cuts the answer where the whole text has its first stop, streamed and not', () => {
    const t = new MessagesToChatStream({ requestModel: 'claude', includeUsage: false, created: 1, stops });
    const body =
      start +
      anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'ok \t' } }) +
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: '\tmore' } }) +
      anthropicEvent('content_block_stop', { index: 0 }) +
      anthropicEvent('message_stop', {});
    expect(foldChat(translateBody(t, body)).content).toBe('ok');
    const message = {
      id: 'msg',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'text', text: 'ok \t' },
        { type: 'text', text: '\tmore' },
      ],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 3 },
    };
    const r = messageToChat(message, 1, undefined, stops);
    expect(r.ok && (JSON.parse(r.value.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('ok');
  });
});
