/**
 * Whitespace held for a stop sequence the backend was not sent (local-stop.ts) that never came goes out with the rest
 * of the answer however the stream ends: a message_stop without a message_delta (finish_reason stop) too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstStop } from '../../../src/translate/local-stop.js';
import { messageToChat } from '../../../src/translate/openai-anthropic-response.js';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import { anthropicEvent } from '../../helpers/anthropic-sse.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';
import { foldChat, translateBody } from '../../helpers/sse-accumulate.js';

const FUZZ = fuzzRuns(300);

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

describe('whitespace stops, streamed and not', () => {
  const unit = fc.constantFrom('a', ' ', '\n', '\t', 'é', '😀');
  it('the streamed answer is the unstreamed one, however the text is cut into blocks and deltas', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit, maxLength: 8 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.string({ unit: fc.constantFrom(' ', '\n', '\t'), minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        (blocks, stops) => {
          let body = start;
          blocks.forEach((deltas, index) => {
            body += anthropicEvent('content_block_start', { index, content_block: { type: 'text', text: '' } });
            for (const text of deltas) body += anthropicEvent('content_block_delta', { index, delta: { type: 'text_delta', text } });
            body += anthropicEvent('content_block_stop', { index });
          });
          body +=
            anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }) +
            anthropicEvent('message_stop', {});
          const t = new MessagesToChatStream({ requestModel: 'claude', includeUsage: false, created: 1, stops });
          const streamed = foldChat(translateBody(t, body)).content;
          const message = {
            id: 'msg',
            type: 'message',
            role: 'assistant',
            model: 'claude',
            content: blocks.map((d) => ({ type: 'text', text: d.join('') })),
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 1, output_tokens: 2 },
          };
          const r = messageToChat(message, 1, undefined, stops);
          const whole = blocks.map((d) => d.join('')).join('');
          const at = firstStop(whole, stops);
          const expected = at >= 0 ? whole.slice(0, at) : whole;
          expect(r.ok && (JSON.parse(r.value.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(
            expected,
          );
          expect(streamed ?? '').toBe(expected);
        },
      ),
      { numRuns: FUZZ.runs },
    );
  });
});

describe('text held for a longer stop, then a tool call', () => {
  it('is cut at a stop it holds whole, streamed and not: the tool call ends the run of text a stop is read in', () => {
    const stops = ['\t', ' \t\t'];
    const t = new MessagesToChatStream({ requestModel: 'claude', includeUsage: false, created: 1, stops });
    const body =
      start +
      anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'ok \t' } }) +
      anthropicEvent('content_block_stop', { index: 0 }) +
      anthropicEvent('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } }) +
      anthropicEvent('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{}' } }) +
      anthropicEvent('content_block_stop', { index: 1 }) +
      anthropicEvent('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 2 } }) +
      anthropicEvent('message_stop', {});
    const f = foldChat(translateBody(t, body));
    const message = {
      id: 'msg',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'text', text: 'ok \t' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 2 },
    };
    const r = messageToChat(message, 1, undefined, stops);
    const whole = r.ok && (JSON.parse(r.value.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    // The text's run ends at the call: " \t\t" can no longer come, and "\t" stands whole in it — the answer stops there.
    expect(whole).toBe('ok ');
    expect(f.content).toBe('ok ');
    expect(f).toMatchObject({ finish: 'stop', toolCalls: [], done: true, doneCount: 1 });
  });
});

describe('whitespace stops, with reasoning and tool calls between texts', () => {
  const unit = fc.constantFrom('a', ' ', '\n', '\t');
  const block = fc.oneof(
    fc.record({ kind: fc.constant('text' as const), deltas: fc.array(fc.string({ unit, maxLength: 6 }), { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('thinking' as const), text: fc.string({ unit: fc.constant('r'), minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('tool' as const) }),
  );
  it('the streamed answer is the unstreamed one: the same text, tool calls and finish', () => {
    fc.assert(
      fc.property(
        fc.array(block, { minLength: 1, maxLength: 5 }),
        fc.array(fc.string({ unit: fc.constantFrom(' ', '\n', '\t'), minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        (blocks, stops) => {
          let body = start;
          const content: object[] = [];
          blocks.forEach((b, index) => {
            if (b.kind === 'text') {
              body += anthropicEvent('content_block_start', { index, content_block: { type: 'text', text: '' } });
              for (const text of b.deltas) body += anthropicEvent('content_block_delta', { index, delta: { type: 'text_delta', text } });
              content.push({ type: 'text', text: b.deltas.join('') });
            } else if (b.kind === 'thinking') {
              body += anthropicEvent('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
              body += anthropicEvent('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: b.text } });
              content.push({ type: 'thinking', thinking: b.text, signature: '' });
            } else {
              const id = `toolu_${index}`;
              body += anthropicEvent('content_block_start', { index, content_block: { type: 'tool_use', id, name: 'f', input: {} } });
              body += anthropicEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '{}' } });
              content.push({ type: 'tool_use', id, name: 'f', input: {} });
            }
            body += anthropicEvent('content_block_stop', { index });
          });
          const calls = blocks.some((b) => b.kind === 'tool');
          const reason = calls ? 'tool_use' : 'end_turn';
          body +=
            anthropicEvent('message_delta', { delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: 2 } }) +
            anthropicEvent('message_stop', {});
          const f = foldChat(
            translateBody(new MessagesToChatStream({ requestModel: 'claude', includeUsage: false, created: 1, stops }), body),
          );
          const message = {
            id: 'msg',
            type: 'message',
            role: 'assistant',
            model: 'claude',
            content,
            stop_reason: reason,
            stop_sequence: null,
            usage: { input_tokens: 1, output_tokens: 2 },
          };
          const r = messageToChat(message, 1, undefined, stops);
          if (!r.ok) throw new Error('refused');
          const choice = (
            JSON.parse(r.value.body) as {
              choices: { message: { content: string | null; tool_calls?: unknown[] }; finish_reason: string }[];
            }
          ).choices[0]!;
          expect(f.content).toBe(choice.message.content ?? '');
          expect(f.toolCalls.length).toBe(choice.message.tool_calls?.length ?? 0);
          expect(f.finish).toBe(choice.finish_reason);
        },
      ),
      { numRuns: FUZZ.runs },
    );
  });
});
