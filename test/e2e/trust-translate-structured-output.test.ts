/**
 * Anthropic client → OpenAI backend, structured output: `output_config.format` (the beta's `output_format`) asks for
 * an answer that follows a JSON schema — what `messages.parse()` reads. It was dropped with the fields aigw does not
 * translate, so the backend wrote free text where the client asked for (and its SDK parses) JSON of that schema;
 * OpenAI's `response_format` json_schema is the same constraint (vLLM decodes by it). A format aigw cannot send is
 * a 400 naming it, as `response_format` is the other way.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useScriptedChatUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-structured';
const ANSWER = '{"answer":4}';

const up = await useScriptedChatUpstream({
  message: { role: 'assistant', content: ANSWER },
  deltas: [{ role: 'assistant', content: ANSWER }],
  finish: 'stop',
  usage: { prompt_tokens: 9, completion_tokens: 5 },
});
const gw = await useGateway(scriptedBackendProfile(KEY), { u: up.url });
const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });

const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false };
const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is 2+2?' }];
const sentFormat = () => (JSON.parse(up.seen.at(-1)!.body) as { response_format?: unknown }).response_format;
const expected = { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } };

describe('structured output to an OpenAI backend', () => {
  it('messages.parse(): the backend is asked for JSON of the schema (response_format json_schema)', async () => {
    const m = await client.messages.parse({
      model: 'gpt',
      max_tokens: 50,
      messages,
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect(sentFormat()).toEqual(expected);
    expect(m.parsed_output).toEqual({ answer: 4 });
  });

  it('messages.stream(): the same', async () => {
    const m = await client.messages
      .stream({ model: 'gpt', max_tokens: 50, messages, output_config: { format: { type: 'json_schema', schema } } })
      .finalMessage();
    expect(sentFormat()).toEqual(expected);
    expect(m.content).toEqual([expect.objectContaining({ type: 'text', text: ANSWER })]);
  });

  it('the beta’s output_format: the same', async () => {
    await client.beta.messages.create({ model: 'gpt', max_tokens: 50, messages, output_format: { type: 'json_schema', schema } });
    expect(sentFormat()).toEqual(expected);
  });

  it('a format that is not json_schema → 400 naming it, nothing sent', async () => {
    const before = up.seen.length;
    const err = await client.messages
      .create({
        model: 'gpt',
        max_tokens: 50,
        messages,
        output_config: { format: { type: 'regex', pattern: 'a+' } as never },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('output_config.format.type');
    expect(up.seen.length).toBe(before);
  });

  it.each([
    ['a json_schema without its schema', { format: { type: 'json_schema' } }, 'output_config.format.schema'],
    ['a schema that is not an object', { format: { type: 'json_schema', schema: 'x' } }, 'output_config.format.schema'],
    ['a format that is a string', { format: 'json' }, 'output_config.format.type'],
    ['a type spelt with 100,000 characters', { format: { type: 'j'.repeat(100_000) } }, 'output_config.format.type'],
  ])('%s → 400 naming it, nothing sent', async (_what, output_config, param) => {
    const before = up.seen.length;
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', max_tokens: 50, messages, output_config }),
    });
    const text = await r.text();
    expect(r.status).toBe(400);
    expect(text).toContain(param);
    expect(text.length).toBeLessThan(2000);
    expect(up.seen.length).toBe(before);
  });

  it('without a format, no response_format', async () => {
    await client.messages.create({ model: 'gpt', max_tokens: 50, messages });
    expect(sentFormat()).toBeUndefined();
  });
});
