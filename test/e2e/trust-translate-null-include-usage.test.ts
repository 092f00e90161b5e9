/**
 * `stream_options: {"include_usage": null}` (openai-python passes an unset None through) is read as not asked on the
 * pass-through path (trust-null-include-usage), but the translation to an Anthropic backend parses the request with
 * its own schema, which still took only a boolean: the same request to a Claude target was refused 400 "expected
 * boolean, received null" — a model's answer depended on which backend served it.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  a: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-test, mock: { kind: anthropic } }
models:
  gpt: { targets: [{ backend: v }] }
  claude: { targets: [{ backend: a }] }
`);

describe('stream_options.include_usage null, translated to an Anthropic backend', () => {
  for (const model of ['gpt', 'claude']) {
    it(`is served as not asked (${model}): no usage chunk`, async () => {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          stream: true,
          max_tokens: 3,
          stream_options: { include_usage: null },
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      const text = await r.text();
      expect(r.status, text).toBe(200);
      expect(text).toContain('data: [DONE]');
      expect(text).not.toContain('"usage":{');
    });
  }

  it('is served to an openai-node stream', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'claude',
      stream: true,
      max_tokens: 3,
      stream_options: { include_usage: null },
      messages: [{ role: 'user', content: 'hi' }],
    } as never);
    let text = '';
    for await (const c of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBeTruthy();
  });
});
