/**
 * An OpenAI client's conversation that ends with an assistant message — a prefill, the answer's start the model goes
 * on from (`"The answer is "`, a template's `"```json\n"`) — translated to an Anthropic backend whose API refuses a
 * final assistant turn that ends in whitespace (400 "final assistant content cannot end with trailing whitespace"),
 * which OpenAI's API and vLLM take. Every such request to a Claude target was that 400. The final turn's trailing
 * whitespace is now left out (as LiteLLM does); the same prefill without it, and whitespace inside earlier turns, go
 * as they came.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  a: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-test, mock: { kind: anthropic } }
models:
  claude: { targets: [{ backend: a }] }
`);
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('a final assistant turn ending in whitespace, to an Anthropic backend', () => {
  const prefills: [string, OpenAI.Chat.ChatCompletionAssistantMessageParam['content']][] = [
    ['a string ending in a space', 'The answer is '],
    ['a string ending in a newline', '```json\n'],
    [
      'text parts, the last ending in whitespace',
      [
        { type: 'text', text: 'Sure,' },
        { type: 'text', text: ' here it is:\n\n' },
      ],
    ],
  ];
  for (const [name, content] of prefills)
    it(`is served: ${name}`, async () => {
      for (const stream of [false, true]) {
        const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
          { role: 'user', content: 'Give me JSON, please.  ' },
          { role: 'assistant', content },
        ];
        if (stream) {
          const s = await openai.chat.completions.create({ model: 'claude', max_tokens: 3, messages, stream: true });
          let text = '';
          for await (const c of s) text += c.choices[0]?.delta.content ?? '';
          expect(text.length).toBeGreaterThan(0);
        } else {
          const r = await openai.chat.completions.create({ model: 'claude', max_tokens: 3, messages });
          expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
        }
      }
    });
});
