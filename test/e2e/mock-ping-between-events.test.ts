/**
 * The `ping` quirk writes its comment (vLLM) or ping event (Anthropic) between events, as the contract says: never
 * after the stream's last event — a client reading to `[DONE]` or `message_stop` and leaving found a ping after it.
 */
import { describe, expect, it } from 'vitest';
import { chat, useMock } from '../helpers/mocks.js';
import { rawPost } from '../helpers/raw.js';

const vllm = await useMock({ name: 'pinger', kind: 'vllm' });
const claude = await useMock({ name: 'claude-pinger', kind: 'anthropic' });
const anthropicHeaders = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'x-mock-quirks': 'ping' };

describe('ping quirk: between events, never after the last', () => {
  it.each([
    ['vLLM, [DONE] last', {}, 'data: [DONE]\n\n'],
    ['vLLM with no-done: the usage chunk last', { 'x-mock-quirks': 'ping,no-done' }, '"completion_tokens":3'],
  ])('%s', async (_name, headers, last) => {
    const body = chat('ping me', { stream: true, max_tokens: 3, stream_options: { include_usage: true } });
    const r = await rawPost(`${vllm.url}/v1/chat/completions`, body, { headers: { 'x-mock-quirks': 'ping', ...headers } });
    const text = r.body.toString();
    expect(text.match(/^: ping$/gm)!.length).toBeGreaterThanOrEqual(3);
    const lastEvent = text.trimEnd().split('\n\n').at(-1)!;
    expect(lastEvent).toContain(last.trim());
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it('Anthropic: message_stop last', async () => {
    const body = { model: 'claude-x', max_tokens: 3, stream: true, messages: [{ role: 'user', content: 'ping me' }] };
    const r = await rawPost(`${claude.url}/v1/messages`, body, { headers: anthropicHeaders });
    const names = r.events.map((e) => e.event);
    expect(names.filter((n) => n === 'ping').length).toBeGreaterThan(3);
    expect(names.at(-1)).toBe('message_stop');
  });
});
