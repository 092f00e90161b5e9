/**
 * `stream_options` where the real servers refuse it. vLLM's request validator refuses stream options on a request that
 * does not stream (400 "Stream options can only be defined when `stream=True`."), as OpenAI's API and Azure do ("The
 * 'stream_options' parameter is only allowed when 'stream' is enabled."); and Azure's api-versions before
 * 2024-09-01-preview refuse the field whatever `stream` says ("Unrecognized request argument supplied: stream_options").
 * The mocks answered all of these 200: a client turning streaming off and keeping its stream options (the AI SDK
 * forcing a plain answer), or a gateway asking an older Azure version for a stream's usage (aigw did, before it read
 * the version), passed against the mocks and failed against every real server behind them.
 */
import OpenAI, { AzureOpenAI } from 'openai';
import { describe, expect, it } from 'vitest';
import { useMock } from '../helpers/mocks.js';

const KEY = 'azure-stream-options-key';
const vllm = await useMock({ name: 'vllm-so', kind: 'vllm', models: ['m'] });
const azure = await useMock({ name: 'azure-so', kind: 'azure-openai', models: ['gpt'], apiKey: KEY });
const openai = new OpenAI({ baseURL: `${vllm.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const azureClient = (apiVersion: string) =>
  new AzureOpenAI({ apiKey: KEY, endpoint: azure.url, apiVersion, deployment: 'gpt', maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'Hello' }];

/** A streamed chat's usage chunk, read to the end (undefined when none came). */
async function usageOf(client: OpenAI): Promise<unknown> {
  const s = await client.chat.completions.create({
    model: client === openai ? 'm' : 'gpt',
    messages,
    max_tokens: 2,
    stream: true,
    stream_options: { include_usage: true },
  });
  let usage: unknown;
  for await (const c of s) usage ??= c.usage ?? undefined;
  return usage;
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string; param: unknown }> {
  const e = (await p.then(
    () => undefined,
    (x: unknown) => x,
  )) as InstanceType<typeof OpenAI.APIError> | undefined;
  expect(e, 'answered 200').toBeInstanceOf(OpenAI.BadRequestError);
  return { status: e!.status!, message: e!.message, param: e!.param };
}

describe('the vLLM mock and stream_options', () => {
  it('refuses them on a chat or text completion that does not stream, as vLLM does', async () => {
    for (const stream of [false, undefined]) {
      const chat = await refusal(
        openai.chat.completions.create({ model: 'm', messages, max_tokens: 2, stream, stream_options: { include_usage: true } }),
      );
      expect(chat.message).toContain('Stream options can only be defined when `stream=True`.');
      expect(chat.param).toBe('stream_options');
      const text = await refusal(
        openai.completions.create({ model: 'm', prompt: 'Hi', max_tokens: 2, stream, stream_options: { include_usage: false } }),
      );
      expect(text.message).toContain('Stream options can only be defined when `stream=True`.');
    }
  });

  it('takes them on a stream, and takes null or {} on any request (vLLM reads them as none)', async () => {
    expect(await usageOf(openai)).toMatchObject({ completion_tokens: 2 });
    for (const stream_options of [null, {}]) {
      const r = await openai.chat.completions.create({ model: 'm', messages, max_tokens: 2, stream_options: stream_options as never });
      expect(r.usage?.completion_tokens).toBe(2);
    }
  });
});

describe('the Azure OpenAI mock and stream_options', () => {
  it("refuses them on a request that does not stream, in OpenAI's words", async () => {
    const r = await refusal(
      azureClient('2024-10-21').chat.completions.create({ model: 'gpt', messages, max_tokens: 2, stream_options: { include_usage: true } }),
    );
    expect(r.message).toContain("The 'stream_options' parameter is only allowed when 'stream' is enabled.");
  });

  it('refuses them on an api-version before 2024-09-01-preview, even on a stream', async () => {
    for (const version of ['2024-02-01', '2024-06-01', '2024-08-01-preview']) {
      const sent = azureClient(version).chat.completions.create({
        model: 'gpt',
        messages,
        max_tokens: 2,
        stream: true,
        stream_options: { include_usage: true },
      });
      const r = await refusal(sent);
      expect(r.message).toContain('Unrecognized request argument supplied: stream_options');
      // Without them, the same version streams.
      const ok = await azureClient(version).chat.completions.create({ model: 'gpt', messages, max_tokens: 2, stream: true });
      let text = '';
      for await (const c of ok) text += c.choices[0]?.delta.content ?? '';
      expect(text.length).toBeGreaterThan(0);
    }
  });

  it('takes them on a stream from 2024-09-01-preview on', async () => {
    for (const version of ['2024-09-01-preview', '2024-10-21', '2025-01-01-preview']) {
      expect(await usageOf(azureClient(version))).toMatchObject({ completion_tokens: 2 });
    }
  });
});
