/**
 * OpenAI client → an Azure OpenAI backend of an api-version before 2024-09-01-preview (2024-02-01 and 2024-06-01 are
 * still served), the client asking a stream for its usage (`stream_options.include_usage`, what openai-node users and
 * LangChain send): Azure refuses the field on such a version (400 "Unrecognized request argument supplied:
 * stream_options"). The gateway stopped adding it there itself (azure-stream-options.test.ts) but passed the client's
 * own on, so every such stream failed — and the client cannot know which version serves its model. The field is now
 * left out for that backend: the stream is answered, without a usage chunk, as that version answers. A later version
 * still gets it and sends the usage. The judge is the Azure mock, which refuses as Azure does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  old: { url: http://127.0.0.1:0, kind: azure-openai, apiKey: k, apiVersion: 2024-06-01, deployment: gpt, mock: { kind: azure-openai } }
  new: { url: http://127.0.0.1:0, kind: azure-openai, apiKey: k, apiVersion: 2024-10-21, deployment: gpt, mock: { kind: azure-openai } }
models:
  old: { targets: [{ backend: old }] }
  new: { targets: [{ backend: new }] }
`);
const client = new OpenAI({ apiKey: 'none', baseURL: `${gw.url}/v1`, maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'Tell me about canary releases.' }];

async function streamed(model: string, stream_options: OpenAI.ChatCompletionStreamOptions) {
  const s = await client.chat.completions.create({ model, messages, max_tokens: 12, stream: true, stream_options });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const c of s) {
    text += c.choices[0]?.delta.content ?? '';
    usage ??= c.usage ?? undefined;
  }
  return { text, usage };
}

describe("a client's stream_options, to an Azure backend whose api-version refuses them", () => {
  it('are left out: the stream is answered whole, without a usage chunk', async () => {
    for (const options of [{ include_usage: true }, { include_usage: false }]) {
      const { text, usage } = await streamed('old', options);
      expect(text).toBe(generateText(chatPromptKey(messages), undefined, 12));
      expect(usage).toBeUndefined();
    }
  });

  it('are left out of a request that does not stream, wherever they stand in the body', async () => {
    for (const body of [
      `{"model":"old","stream_options":{"include_usage":true},"messages":${JSON.stringify(messages)},"max_tokens":3}`,
      `{"model":"old","messages":${JSON.stringify(messages)},"max_tokens":3 , "stream_options" : null }`,
      `{"stream_options":{},"model":"old","messages":${JSON.stringify(messages)},"max_tokens":3}`,
    ]) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(r.status, await r.clone().text()).toBe(200);
      expect(((await r.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
    }
  });

  it('are kept for a version that takes them: the usage chunk comes', async () => {
    const { text, usage } = await streamed('new', { include_usage: true });
    expect(text).toBe(generateText(chatPromptKey(messages), undefined, 12));
    expect(usage).toMatchObject({ completion_tokens: 12 });
  });
});
