import { describe, expect, it } from 'vitest';
import { textTurns } from '../../../src/anthropic/prompt-view.js';
import { describeAnthropicIssue, MessagesRequest } from '../../../src/anthropic/wire.js';
import { chatPromptKey } from '../../../src/mock/text.js';
import { messagesToChat } from '../../../src/translate/anthropic-openai.js';

const base = { model: 'claude', max_tokens: 10 };

describe('Messages request schema', () => {
  it.each([
    ['max_tokens missing', { model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens: Field required'],
    ['max_tokens 0', { ...base, messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 'max_tokens: Too small'],
    [
      'a tool_use without input',
      { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'b' }] }] },
      'messages.0.content.0.input: Field required',
    ],
    [
      'a url image without url',
      { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url' } }] }] },
      'messages.0.content.0.source.url: Field required',
    ],
    [
      'a tool_result with a bad block',
      { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text' }] }] }] },
      'messages.0.content.0.content.0.text: Field required',
    ],
    ['content neither string nor blocks', { ...base, messages: [{ role: 'user', content: 7 }] }, 'messages.0.content'],
    ['an unknown tool_choice', { ...base, messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'maybe' } }, 'tool_choice.type'],
  ])('names the field at fault: %s', (_n, req, message) => {
    const r = MessagesRequest.safeParse(req);
    expect(r.success).toBe(false);
    if (!r.success) expect(describeAnthropicIssue(r.error).message.startsWith(message)).toBe(true);
  });

  it('keeps unknown block types as named unknown blocks', () => {
    const r = MessagesRequest.parse({ ...base, messages: [{ role: 'user', content: [{ type: 'search_result', source: 's' }] }] });
    expect(r.messages[0]!.content).toEqual([{ type: 'unknown', original: 'search_result' }]);
  });
});

describe('the plain-text view of a Messages prompt', () => {
  const req = MessagesRequest.parse({
    ...base,
    system: [
      { type: 'text', text: 'S1' },
      { type: 'text', text: 'S2' },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
          { type: 'text', text: 'b' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'c' },
          { type: 'tool_use', id: 't', name: 'f', input: {} },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'r' }] },
      { role: 'assistant', content: 'd' },
      { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x/z.png' } }] },
    ],
  });

  it('follows the documented rule', () => {
    expect(textTurns(req)).toEqual([
      { role: 'system', content: 'S1S2' },
      { role: 'user', content: 'ab' },
      { role: 'assistant', content: 'c' },
      { role: 'tool', content: 'r' },
      { role: 'assistant', content: 'd' },
      { role: 'user', content: '' },
    ]);
  });

  it('is the prompt of its translation to chat completions (so the mocks agree on the answer)', () => {
    const chat = messagesToChat(req, 'm');
    if (!chat.ok) throw new Error(chat.error.message);
    expect(chatPromptKey(textTurns(req))).toBe(chatPromptKey(JSON.parse(chat.value.body).messages));
  });
});
