/**
 * A fault asked for (or drawn from the profile) strikes a tool call's answer as it strikes a text answer: after its
 * first N completion tokens (counted over the arguments in proportion to their characters), a reset, a close, a stall
 * or an error event; at N past the call, it is sent whole. Before, a tool call ignored every fault that strikes
 * mid-answer — `reset-after:2` sent the whole call and [DONE], counted completed and no fault, and a profile's random
 * `reset-after` drew a fault for the request and never applied it — so a test of a client or gateway facing a tool
 * call cut mid-arguments passed on an answer that was never cut.
 */
import { describe, expect, it } from 'vitest';
import { chat, useMock } from '../helpers/mocks.js';
import { rawPost } from '../helpers/raw.js';

const tools = [
  {
    type: 'function',
    function: {
      name: 'f',
      parameters: { type: 'object', properties: { city: { type: 'string' }, n: { type: 'integer' }, note: { type: 'string' } } },
    },
  },
];
const anthropicTools = [{ name: 'f', input_schema: tools[0]!.function.parameters }];
const vllm = await useMock({ name: 'tools', kind: 'vllm' });
const anthropic = await useMock({ name: 'claude', kind: 'anthropic' });
const random = await useMock({ name: 'random', kind: 'vllm', faults: { rate: 1, seed: 1, kinds: ['close-after:1'] } });

type Stats = { completed: number; faults: Record<string, number>; aborted: { count: number } };
const stats = async (url: string) => (await (await fetch(`${url}/mock/stats`)).json()) as Stats;
// max_tokens 1000: the whole call, so a fault's cut is the only one (the helper's default of 8 cuts it now, as vLLM would).
const call = (extra: Record<string, unknown> = {}) => chat('go [[mock tool=f]]', { tools, max_tokens: 1000, ...extra });
const anthropicCall = (stream: boolean) => ({
  model: 'm',
  max_tokens: 64,
  stream,
  tools: anthropicTools,
  messages: [{ role: 'user', content: 'go [[mock tool=f]]' }],
});
const ANTHROPIC = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };

/** The argument text a vLLM stream carried. */
function streamedArguments(body: string): string {
  let args = '';
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    args += JSON.parse(line.slice(6)).choices?.[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
  }
  return args;
}

describe('a fault on a tool call', () => {
  it.each(['reset-after:2', 'close-after:2'])('%s cuts a vLLM stream within its arguments, counted as the fault', async (fault) => {
    const whole = streamedArguments((await rawPost(`${vllm.url}/v1/chat/completions`, call({ stream: true }))).body.toString());
    const before = await stats(vllm.url);
    const r = await rawPost(`${vllm.url}/v1/chat/completions`, call({ stream: true }), { headers: { 'x-mock-fault': fault } });
    expect(r.ended).toBe('aborted');
    const body = r.body.toString();
    expect(body).not.toContain('[DONE]');
    const args = streamedArguments(body);
    expect(args.length).toBeGreaterThan(0);
    expect(args.length).toBeLessThan(whole.length);
    expect(whole.startsWith(args)).toBe(true);
    const after = await stats(vllm.url);
    const kind = fault.split(':')[0]!;
    expect(after.faults[kind]).toBe((before.faults[kind] ?? 0) + 1);
    expect(after.completed).toBe(before.completed);
    expect(after.aborted.count).toBe(before.aborted.count);
  });

  it('error-after:2 ends a vLLM stream with the error event, no [DONE]', async () => {
    const r = await rawPost(`${vllm.url}/v1/chat/completions`, call({ stream: true }), { headers: { 'x-mock-fault': 'error-after:2' } });
    const last = r.events.at(-1)!;
    expect(JSON.parse(last.data!)).toMatchObject({ error: { code: 500 } });
    expect(r.body.toString()).not.toContain('[DONE]');
  });

  it('error-after:0 is the stream first event, as on a text answer', async () => {
    const r = await rawPost(`${vllm.url}/v1/chat/completions`, call({ stream: true }), { headers: { 'x-mock-fault': 'error-after:0' } });
    expect(r.events).toHaveLength(1);
    expect(JSON.parse(r.events[0]!.data!)).toMatchObject({ error: { code: 500 } });
  });

  it('reset-after:2 cuts an unstreamed vLLM tool call', async () => {
    const r = await rawPost(`${vllm.url}/v1/chat/completions`, call(), { headers: { 'x-mock-fault': 'reset-after:2' } });
    expect(r.ended).toBe('aborted');
  });

  it('a count past the call leaves it whole', async () => {
    const r = await rawPost(`${vllm.url}/v1/chat/completions`, call({ stream: true }), {
      headers: { 'x-mock-fault': 'reset-after:100000' },
    });
    expect(r.ended).toBe('complete');
    expect(r.body.toString().endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('error-after:1 ends an Anthropic stream with its error event, no message_stop', async () => {
    const r = await rawPost(`${anthropic.url}/v1/messages`, anthropicCall(true), {
      headers: { ...ANTHROPIC, 'x-mock-fault': 'error-after:1' },
    });
    expect(r.events.at(-1)!.event).toBe('error');
    expect(r.events.some((e) => e.event === 'message_stop')).toBe(false);
  });

  it('a random fault drawn for a tool call strikes it', async () => {
    const before = await stats(random.url);
    const r = await rawPost(`${random.url}/v1/chat/completions`, call({ stream: true }));
    expect(r.ended).toBe('aborted');
    expect((await stats(random.url)).faults['close-after']).toBe((before.faults['close-after'] ?? 0) + 1);
  });
});
