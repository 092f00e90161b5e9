/**
 * Azure takes `stream_options` only from api-version 2024-09-01-preview on: before it, a request naming the field is
 * refused (400 "Unrecognized request argument supplied: stream_options"). aigw asks every stream for its usage, so on
 * a profile naming an older version (2024-02-01 and 2024-06-01 are still served) every stream failed at once. It asks
 * only where the version takes it; elsewhere the stream's output is counted from its chunks.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (o: object) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', ...o })}\n\n`;

/** Azure as it reads a chat: the field refused before STREAM_OPTIONS_SINCE, the usage chunk sent when asked. */
const azure = await useUpstream((req, res, body) => {
  const version = new URL(req.url!, 'http://x').searchParams.get('api-version') ?? '';
  const json = JSON.parse(body) as { stream?: boolean; stream_options?: { include_usage?: boolean } };
  if (json.stream_options !== undefined && version < '2024-09-01') {
    res.writeHead(400, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        error: {
          code: null,
          message: 'Unrecognized request argument supplied: stream_options',
          param: null,
          type: 'invalid_request_error',
        },
      }),
    );
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'hello there' }, finish_reason: null }] }));
  res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
  if (json.stream_options?.include_usage)
    res.write(chunk({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } }));
  res.end('data: [DONE]\n\n');
});

const gw = await useGateway(
  `
version: 1
backends:
  old: { url: "{{u}}", kind: azure-openai, deployment: gpt-4o, apiVersion: "2024-06-01", apiKey: k }
  new: { url: "{{u}}", kind: azure-openai, deployment: gpt-4o, apiVersion: "2024-10-21", apiKey: k }
models:
  old: { targets: [{ backend: old }] }
  new: { targets: [{ backend: new }] }
`,
  { u: azure.url },
);

async function streamed(model: string): Promise<string> {
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  let text = '';
  for await (const c of await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true })) {
    text += c.choices[0]?.delta?.content ?? '';
  }
  return text;
}

describe('a stream to an Azure backend, by its api-version', () => {
  it('2024-06-01: not asked for its usage (the field refused), the stream whole to openai-node', async () => {
    expect(await streamed('old')).toBe('hello there');
    const sent = JSON.parse(azure.seen.at(-1)!.body) as Record<string, unknown>;
    expect(azure.seen.at(-1)!.url).toContain('api-version=2024-06-01');
    expect(sent.stream_options).toBeUndefined();
  });

  it('2024-10-21: asked for its usage, the usage chunk held back from a client that did not ask', async () => {
    expect(await streamed('new')).toBe('hello there');
    const sent = JSON.parse(azure.seen.at(-1)!.body) as { stream_options?: unknown };
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  it('an Anthropic client to 2024-06-01 likewise', async () => {
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'unused', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'old', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('hello there');
    expect(text).toContain('message_stop');
    expect((JSON.parse(azure.seen.at(-1)!.body) as Record<string, unknown>).stream_options).toBeUndefined();
  });
});
