/**
 * A tool call stops at max_tokens as a text answer does: vLLM ends it with finish_reason "length" and the call's
 * arguments cut, Anthropic with stop_reason "max_tokens". The mock sent the whole call whatever max_tokens said —
 * `[[mock tool=f]]` with max_tokens 1 answered 14 completion tokens and finish_reason "tool_calls".
 */
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../src/openai/sse.js';
import { chat, postJson, useMock } from '../helpers/mocks.js';

const vllm = await useMock({ name: 'tools', kind: 'vllm' });
const claude = await useMock({ name: 'claude-tools', kind: 'anthropic' });
const schema = {
  type: 'object',
  properties: { city: { type: 'string' }, note: { type: 'string' }, days: { type: 'integer' }, metric: { type: 'boolean' } },
};
const tools = [{ type: 'function', function: { name: 'f', parameters: schema } }];

interface Chat {
  choices: { finish_reason: string; message: { tool_calls: { function: { arguments: string } }[] } }[];
  usage: { completion_tokens: number };
}
const openai = async (max_tokens: number) =>
  (await (await postJson(`${vllm.url}/v1/chat/completions`, chat('go [[mock tool=f]]', { tools, max_tokens }))).json()) as Chat;

/** The streamed arguments, finish reason and usage of a vLLM stream. */
async function openaiStream(max_tokens: number) {
  const body = chat('go [[mock tool=f]]', { tools, max_tokens, stream: true, stream_options: { include_usage: true } });
  const text = await (await postJson(`${vllm.url}/v1/chat/completions`, body)).text();
  let args = '';
  let finish: string | undefined;
  let usage: { completion_tokens: number } | undefined;
  for (const e of decodeSseBody(Buffer.from(text))) {
    if (!e.data?.startsWith('{')) continue;
    const j = JSON.parse(e.data);
    args += j.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    finish = j.choices[0]?.finish_reason ?? finish;
    usage = j.usage ?? usage;
  }
  return { args, finish, usage, done: text.endsWith('data: [DONE]\n\n') };
}

const anthropic = (max_tokens: number, stream: boolean) =>
  postJson(
    `${claude.url}/v1/messages`,
    {
      model: 'c',
      max_tokens,
      stream,
      tools: [{ name: 'f', input_schema: schema }],
      messages: [{ role: 'user', content: 'go [[mock tool=f]]' }],
    },
    { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
  );

describe('a tool call within max_tokens', () => {
  it('vLLM, unstreamed: cut to max_tokens, finish_reason "length"; whole when it fits', async () => {
    const whole = await openai(1000);
    const full = whole.choices[0]!.message.tool_calls[0]!.function.arguments;
    expect(whole.choices[0]!.finish_reason).toBe('tool_calls');
    expect(whole.usage.completion_tokens).toBeGreaterThan(3);
    const cut = await openai(3);
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.usage.completion_tokens).toBe(3);
    const args = cut.choices[0]!.message.tool_calls[0]!.function.arguments;
    expect(args.length).toBeGreaterThan(0);
    expect(args.length).toBeLessThan(full.length);
    expect(full.startsWith(args)).toBe(true);
  });

  it('vLLM, streamed: the same cut arguments, finish_reason "length", usage of max_tokens', async () => {
    const full = (await openai(1000)).choices[0]!.message.tool_calls[0]!.function.arguments;
    const cut = (await openai(3)).choices[0]!.message.tool_calls[0]!.function.arguments;
    const s = await openaiStream(3);
    expect(s).toEqual({ args: cut, finish: 'length', usage: expect.objectContaining({ completion_tokens: 3 }), done: true });
    const whole = await openaiStream(1000);
    expect(whole.args).toBe(full);
    expect(whole.finish).toBe('tool_calls');
  });

  it('max_tokens 1 is one token of arguments', async () => {
    const cut = await openai(1);
    expect(cut.usage.completion_tokens).toBe(1);
    expect(cut.choices[0]!.finish_reason).toBe('length');
  });

  it('Anthropic: stop_reason "max_tokens", output_tokens = max_tokens, the streamed input cut', async () => {
    const whole = (await (await anthropic(1000, false)).json()) as { stop_reason: string; usage: { output_tokens: number } };
    expect(whole.stop_reason).toBe('tool_use');
    const cut = (await (await anthropic(2, false)).json()) as {
      stop_reason: string;
      usage: { output_tokens: number };
      content: { type: string; input: unknown }[];
    };
    expect(cut.stop_reason).toBe('max_tokens');
    expect(cut.usage.output_tokens).toBe(2);
    expect(cut.content[0]!.type).toBe('tool_use');
    const events = decodeSseBody(Buffer.from(await (await anthropic(2, true)).text()));
    const partial = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => JSON.parse(e.data!).delta.partial_json)
      .join('');
    expect(partial.length).toBeGreaterThan(0);
    expect(() => JSON.parse(partial)).toThrow();
    const delta = JSON.parse(events.find((e) => e.event === 'message_delta')!.data!);
    expect(delta.delta.stop_reason).toBe('max_tokens');
    expect(delta.usage.output_tokens).toBe(2);
    expect(events.at(-1)!.event).toBe('message_stop');
  });
});
