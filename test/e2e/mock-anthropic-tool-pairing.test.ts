/**
 * The Anthropic mock refuses a history whose tool calls and results do not pair, as Anthropic's API does: a tool_use
 * the next message does not answer with a tool_result ("messages.N: `tool_use` ids were found without `tool_result`
 * blocks immediately after: ID. Each `tool_use` block must have a corresponding `tool_result` block in the next
 * message."), and a tool_result answering no tool_use of the message before it ("messages.N.content.M: unexpected
 * `tool_use_id` found in `tool_result` blocks: ID. …"). It answered both 200, so an agent's history trimmed mid-call,
 * or a translation that split, merged or reordered turns, passed against the mock and failed against the API — the
 * most reported 400 of Anthropic's agents. So did a tool id outside Anthropic's `^[a-zA-Z0-9_-]+$` (Kimi K2 on vLLM names
 * its calls `functions.get_weather:0`), refused by the API's schema. Judged through @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useMock } from '../helpers/mocks.js';

const KEY = 'sk-ant-mock-pairing';
const mock = await useMock({ name: 'claude-pairs', kind: 'anthropic', models: ['claude'], apiKey: KEY });
const client = new Anthropic({ apiKey: KEY, baseURL: mock.url, maxRetries: 0 });

type Messages = Anthropic.MessageParam[];
const use = (id: string): Anthropic.ContentBlockParam => ({ type: 'tool_use', id, name: 'run', input: { cmd: 'ls' } });
const result = (id: string): Anthropic.ContentBlockParam => ({ type: 'tool_result', tool_use_id: id, content: 'a.txt' });
const ask: Anthropic.MessageParam = { role: 'user', content: 'List the files.' };

const missing = (n: number, ids: string) =>
  `messages.${n}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${ids}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
const unexpected = (at: string, id: string) =>
  `messages.${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;

const refused: [string, Messages, string][] = [
  [
    'a call followed by text, not its result',
    [ask, { role: 'assistant', content: [use('toolu_a')] }, { role: 'user', content: 'Go on.' }],
    missing(1, 'toolu_a'),
  ],
  [
    'two calls, one answered',
    [ask, { role: 'assistant', content: [use('toolu_a'), use('toolu_b')] }, { role: 'user', content: [result('toolu_b')] }],
    missing(1, 'toolu_a'),
  ],
  [
    'results split over two user turns',
    [
      ask,
      { role: 'assistant', content: [use('toolu_a'), use('toolu_b')] },
      { role: 'user', content: [result('toolu_a')] },
      { role: 'user', content: [result('toolu_b')] },
    ],
    missing(1, 'toolu_b'),
  ],
  ['a result with no call before it', [{ role: 'user', content: [result('toolu_x')] }], unexpected('0.content.0', 'toolu_x')],
  [
    'a result naming another call',
    [ask, { role: 'assistant', content: [use('toolu_a')] }, { role: 'user', content: [result('toolu_a'), result('toolu_z')] }],
    unexpected('2.content.1', 'toolu_z'),
  ],
  [
    "a call id of a form Anthropic's schema refuses (Kimi K2's, through vLLM)",
    [ask, { role: 'assistant', content: [use('functions.run:0')] }, { role: 'user', content: [result('functions.run:0')] }],
    "messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
  ],
  [
    'a result id of that form',
    [ask, { role: 'assistant', content: [use('toolu_a')] }, { role: 'user', content: [result('toolu_a'), result('call:1')] }],
    "messages.2.content.1.tool_result.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'",
  ],
];

const accepted: [string, Messages][] = [
  ['a call and its result', [ask, { role: 'assistant', content: [use('toolu_a')] }, { role: 'user', content: [result('toolu_a')] }]],
  [
    'two calls answered in one turn, in another order, with text after',
    [
      ask,
      { role: 'assistant', content: [{ type: 'text', text: 'Running both.' }, use('toolu_a'), use('toolu_b')] },
      { role: 'user', content: [result('toolu_b'), result('toolu_a'), { type: 'text', text: 'Now summarise.' }] },
    ],
  ],
  ['a call in the last message (a prefill)', [ask, { role: 'assistant', content: [use('toolu_a')] }]],
];

describe('the Anthropic mock and tool_use / tool_result pairing', () => {
  for (const [name, messages, message] of refused) {
    it(`refuses ${name}, in Anthropic's words, for messages and count_tokens`, async () => {
      const e = await client.messages.create({ model: 'claude', max_tokens: 4, messages }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, 'answered 200').toBeInstanceOf(Anthropic.BadRequestError);
      expect((e as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error', message },
      });
      await expect(client.messages.countTokens({ model: 'claude', messages })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    });
  }
  for (const [name, messages] of accepted) {
    it(`answers ${name}`, async () => {
      const m = await client.messages.create({ model: 'claude', max_tokens: 4, messages });
      expect(m.usage.output_tokens).toBe(4);
    });
  }

  it('names at most ten ids, each at most 200 characters', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `toolu_${String(i).padStart(2, '0')}${'x'.repeat(5000)}`);
    const e = await client.messages
      .create({
        model: 'claude',
        max_tokens: 4,
        messages: [ask, { role: 'assistant', content: ids.map(use) }, { role: 'user', content: 'Go on.' }],
      })
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    const message = (e as InstanceType<typeof Anthropic.BadRequestError>).error as { error: { message: string } };
    expect(message.error.message.length).toBeLessThan(3000);
    expect(message.error.message).toContain('toolu_09');
    expect(message.error.message).not.toContain('toolu_10');
  });
});
