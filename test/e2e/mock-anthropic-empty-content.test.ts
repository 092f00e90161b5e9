/**
 * The Anthropic mock refuses the empty content Anthropic's API refuses: a message of no content (`""`, `[]`) other
 * than a final assistant prefill ("messages.N: all messages must have non-empty content except for the optional final
 * assistant message"), a text block — in a message or a tool_result — that is empty ("text content blocks must be
 * non-empty") or whitespace alone ("… must contain non-whitespace text"), and a final assistant prefill ending in
 * whitespace. It answered every one 200, so a translation or a client that sends them (aigw's own were trust 198 and
 * the empty-turn fixes) passed against the mock and failed against the real API. Judged through @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useMock } from '../helpers/mocks.js';

const KEY = 'sk-ant-mock-empty-content';
const mock = await useMock({ name: 'claude-empty', kind: 'anthropic', models: ['claude'], apiKey: KEY });
const client = new Anthropic({ apiKey: KEY, baseURL: mock.url, maxRetries: 0 });

type Messages = Anthropic.MessageParam[];
const call = (id: string): Anthropic.ContentBlockParam => ({ type: 'tool_use', id, name: 'run', input: {} });
const result = (id: string, content: Anthropic.ToolResultBlockParam['content']): Anthropic.ContentBlockParam => ({
  type: 'tool_result',
  tool_use_id: id,
  content,
});

const EMPTY_MESSAGE = 'all messages must have non-empty content except for the optional final assistant message';
const refused: [string, Messages, string][] = [
  ['an empty user message', [{ role: 'user', content: '' }], `messages.0: ${EMPTY_MESSAGE}`],
  ['a user message of no blocks', [{ role: 'user', content: [] }], `messages.0: ${EMPTY_MESSAGE}`],
  [
    'an empty assistant turn before the last',
    [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Are you there?' },
    ],
    `messages.1: ${EMPTY_MESSAGE}`,
  ],
  ['an empty text block', [{ role: 'user', content: [{ type: 'text', text: '' }] }], 'messages: text content blocks must be non-empty'],
  [
    'a text block of whitespace',
    [{ role: 'user', content: [{ type: 'text', text: ' \n\t' }] }],
    'messages: text content blocks must contain non-whitespace text',
  ],
  ['a user message of whitespace', [{ role: 'user', content: '\n\n' }], 'messages: text content blocks must contain non-whitespace text'],
  [
    "an empty tool result's text",
    [
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: [call('toolu_1')] },
      { role: 'user', content: [result('toolu_1', '')] },
    ],
    'messages: text content blocks must be non-empty',
  ],
  [
    "a tool result's text block of whitespace",
    [
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: [call('toolu_1')] },
      { role: 'user', content: [result('toolu_1', [{ type: 'text', text: '  ' }])] },
    ],
    'messages: text content blocks must contain non-whitespace text',
  ],
  [
    'a prefill ending in whitespace',
    [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Sure, ' },
    ],
    'messages: final assistant content cannot end with trailing whitespace',
  ],
];

const accepted: [string, Messages][] = [
  ['a user message', [{ role: 'user', content: 'Hi' }]],
  [
    'an empty final assistant prefill',
    [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '' },
    ],
  ],
  [
    'a prefill of text',
    [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Sure,' },
    ],
  ],
  [
    'a tool result without content',
    [
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: [call('toolu_1')] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }] },
    ],
  ],
  [
    'a tool result of no blocks',
    [
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: [call('toolu_1')] },
      { role: 'user', content: [result('toolu_1', [])] },
    ],
  ],
  ['text with spaces around it', [{ role: 'user', content: [{ type: 'text', text: '  hi  ' }] }]],
];

describe('the Anthropic mock and empty content', () => {
  for (const [name, messages, message] of refused) {
    it(`refuses ${name} as Anthropic does (400 invalid_request_error), for messages and count_tokens`, async () => {
      const sent = client.messages.create({ model: 'claude', max_tokens: 4, messages });
      await expect(sent).rejects.toBeInstanceOf(Anthropic.BadRequestError);
      const e = (await sent.catch((x: unknown) => x)) as InstanceType<typeof Anthropic.BadRequestError>;
      expect(e.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message } });
      const counted = client.messages.countTokens({ model: 'claude', messages });
      await expect(counted).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    });
  }
  for (const [name, messages] of accepted) {
    it(`answers ${name}`, async () => {
      const m = await client.messages.create({ model: 'claude', max_tokens: 4, messages });
      expect(m.usage.output_tokens).toBe(4);
      expect((await client.messages.countTokens({ model: 'claude', messages })).input_tokens).toBeGreaterThan(0);
    });
  }
});
