/**
 * The Anthropic mock's `no-usage` quirk is a backend that does not count what it generated: its message_delta says 0
 * output tokens. It left the usage out, which Anthropic never does and the SDK reads unguarded: through the gateway
 * (which relays an Anthropic backend's events as they come) and straight from the mock alike,
 * `messages.stream().finalMessage()` threw `TypeError: Cannot read properties of undefined (reading 'output_tokens')`.
 * The gateway takes the 0 beside output for no count: it charges what the events carried.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  ant: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-backend, mock: { kind: anthropic } }
models:
  claude: { targets: [{ backend: ant, model: claude-up }] }
`);

const messages = [{ role: 'user' as const, content: 'Count nothing, say plenty.' }];

describe('the Anthropic mock without usage, read by the Anthropic SDK', () => {
  it('through the gateway: finalMessage() resolves with the whole text, and the gateway charges the events', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
    const id = 'no-usage-through-gateway';
    const stream = client.messages.stream(
      { model: 'claude', max_tokens: 40, messages },
      { headers: { 'x-mock-quirks': 'no-usage', 'x-request-id': id } },
    );
    const message = await stream.finalMessage();
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text.length).toBeGreaterThan(40);
    // The backend's own figure, relayed as it came.
    expect(message.usage.output_tokens).toBe(0);
    const e = await gw.requestEvent(id);
    expect(e.tokens.outputSource).toBe('estimate');
    expect(e.tokens.output).toBeGreaterThan(0);
  });

  it('straight from the mock: finalMessage() resolves', async () => {
    const client = new Anthropic({ baseURL: gw.mocks.ant!.url, apiKey: 'sk-ant-backend', maxRetries: 0 });
    const message = await client.messages
      .stream({ model: 'claude-up', max_tokens: 5, messages }, { headers: { 'x-mock-quirks': 'no-usage' } })
      .finalMessage();
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(0);
  });
});
