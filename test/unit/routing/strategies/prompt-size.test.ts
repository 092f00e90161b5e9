/** The prompt-size estimate routing compares with escalation bounds and context windows. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTokenCounter } from '../../../../src/openai/tokens.js';
import { estimateInputTokens, estimatePromptTokens } from '../../../../src/routing/prompt-size.js';

describe('estimatePromptTokens', () => {
  const cases: [string, Parameters<typeof estimatePromptTokens>[0], number][] = [
    ['a chat: 4 characters a token, 3 a message', { messages: [{ role: 'user', content: 'x'.repeat(400) }] }, 3 + Math.ceil(404 / 4)],
    [
      "content parts: their text, and an image a full-size image's tokens",
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'abcd' }, { type: 'image_url' }] }] },
      3 + 2 + 1600,
    ],
    [
      "a tool result's text (Anthropic tool_result blocks)",
      { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'id', content: 'z'.repeat(396) }] }] },
      3 + Math.ceil(400 / 4),
    ],
    [
      "a call's arguments and name (OpenAI tool_calls)",
      { messages: [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'ab', arguments: 'q'.repeat(390) } }] }] },
      3 + Math.ceil(401 / 4),
    ],
    [
      "the tools' definitions, a JSON Schema's types left out",
      {
        messages: [],
        tools: [{ type: 'function', function: { name: 'f', description: 'd'.repeat(399), parameters: { type: 'object' } } }],
      },
      100,
    ],
    [
      "the legacy functions' definitions, as tools' are",
      { messages: [], functions: [{ name: 'f', description: 'd'.repeat(399), parameters: { type: 'object' } }] },
      100,
    ],
    [
      'documents vLLM renders from chat_template_kwargs, in place of the top-level ones',
      {
        messages: [],
        documents: [{ text: 'x' }],
        chat_template_kwargs: { documents: [{ title: 'ab', text: 'd'.repeat(398) }] },
      },
      100,
    ],
    [
      "a tool result's parts, and an Anthropic tool call's input",
      {
        messages: [
          { role: 'assistant', content: [{ type: 'tool_use', id: 'id', name: 'ab', input: { path: 'p'.repeat(100) } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'id', content: [{ type: 'text', text: 'r'.repeat(283) }] }] },
        ],
      },
      6 + Math.ceil((9 + 2 + 100 + 4 + 283) / 4),
    ],
    [
      'a field no backend reads is not prompt',
      { messages: [{ role: 'user', content: 'hi', padding: 'x'.repeat(10_000), name: 'n'.repeat(10_000) }] },
      3 + 2,
    ],
    [
      "an image's data is not text: it counts as one image",
      { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: 'A'.repeat(100_000) } }] }] },
      3 + 1 + 1600,
    ],
    [
      "an Anthropic text document's text, title and context",
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'document', title: 'ab', context: 'cd', source: { type: 'text', media_type: 'text/plain', data: 'd'.repeat(392) } },
            ],
          },
        ],
      },
      3 + Math.ceil(400 / 4),
    ],
    [
      "a document of content blocks, and a search result's content inside a tool result",
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'c'.repeat(196) }] } }],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'id',
                content: [
                  {
                    type: 'search_result',
                    source: 'https://example.test/',
                    title: 'tt',
                    content: [{ type: 'text', text: 's'.repeat(194) }],
                  },
                ],
              },
            ],
          },
        ],
      },
      6 + Math.ceil((8 + 196 + 2 + 194) / 4),
    ],
    [
      "a PDF's data is not text: it counts as one media part",
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'J'.repeat(100_000) } }],
          },
        ],
      },
      3 + 1 + 1600,
    ],
    [
      "each of a question's images, audio and files, in a tool result too",
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'xxxx' },
              { type: 'image_url', image_url: { url: 'https://example.test/a.png' } },
              { type: 'input_audio', input_audio: { data: 'QUJD', format: 'wav' } },
              { type: 'file', file: { file_id: 'file-1' } },
              {
                type: 'tool_result',
                tool_use_id: 'id',
                content: [{ type: 'image', source: { type: 'url', url: 'https://example.test/b.png' } }],
              },
            ],
          },
        ],
      },
      3 + 2 + 4 * 1600,
    ],
    ['a completion prompt', { prompt: 'y'.repeat(40) }, 10],
    ['token ids count as themselves', { prompt: [1, 2, 3] }, 3],
    ['a batch of token-id lists: its longest', { prompt: [[1, 2], [3]] }, 2],
    ['a batch of strings: its longest, with the suffix after it', { prompt: ['y'.repeat(40), 'y'.repeat(8)], suffix: 'y'.repeat(4) }, 11],
    ['junk counts nothing', { messages: [null, 5, 'x'] }, 0],
    ['nothing at all', {}, 0],
  ];
  it.each(cases)('%s', (_name, body, want) => {
    expect(estimatePromptTokens(body)).toBe(want);
  });

  it('is within a factor of two of the real count for ordinary English', async () => {
    const tokens = await loadTokenCounter();
    const text = 'The quick brown fox jumps over the lazy dog, and then it rests for a while in the sun. '.repeat(50);
    const messages = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: text },
    ];
    const real = tokens.chat(messages);
    const est = estimatePromptTokens({ messages });
    expect(est / real).toBeGreaterThan(0.5);
    expect(est / real).toBeLessThan(2);
  });

  it('never throws on hostile JSON', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (messages, prompt) => {
        expect(estimatePromptTokens({ messages, prompt })).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('estimateInputTokens (an embedding request)', () => {
  it.each([
    ['one string: 4 characters a token', 'x'.repeat(401), 101],
    ['a batch: its longest input, not their sum', ['x'.repeat(40), 'y'.repeat(400), 'z'.repeat(40)], 100],
    ['one list of token ids: one input', [1, 2, 3, 4], 4],
    [
      'lists of token ids: the longest',
      [
        [1, 2],
        [3, 4, 5],
      ],
      3,
    ],
    ['a single token id', 7, 1],
    ['junk counts nothing', { input: 'x'.repeat(100) }, 0],
  ] as [string, unknown, number][])('%s', (_name, input, want) => {
    expect(estimateInputTokens(input)).toBe(want);
  });
});
