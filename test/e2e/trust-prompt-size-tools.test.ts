/**
 * `escalate` and `cost` read a prompt's size from the lengths of its strings (README) — but only a message's
 * `content` and its parts' `text` were read. An agent's conversation is mostly tool results and call arguments:
 * 40,000 characters of Anthropic tool_result blocks, or of OpenAI tool_calls arguments, were estimated at a few
 * tokens, and a model that escalates prompts over 3,000 tokens to its large-context model sent them to its 600-token
 * window instead, where a real backend refuses them (a 400 passed through, never failed over).
 */
import { describe, expect, it } from 'vitest';
import { servedBy as served, useEscalatingGateway } from '../helpers/escalation.js';

const gw = await useEscalatingGateway('vllm');

const LONG = 'the tool printed this line of its output; '.repeat(1000); // ~42,000 characters: ~10,500 tokens

/** The backend the request was sent to, as its event names it (whatever the mock made of the conversation). */
const servedBy = (path: string, body: unknown) => served(gw, path, body);

describe("a prompt's tool results, call arguments and tool definitions count toward its size", () => {
  it('a short question stays on the small model', async () => {
    expect(await servedBy('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 })).toBe(
      'cheap',
    );
  });

  it('an Anthropic conversation whose bulk is a tool_result escalates to the large model', async () => {
    const body = {
      model: 'chat',
      max_tokens: 4,
      messages: [
        { role: 'user', content: 'run the tool' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'run', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: LONG }] },
      ],
    };
    expect(await servedBy('/v1/messages', body)).toBe('big');
  });

  it("an OpenAI conversation whose bulk is a call's arguments escalates to the large model", async () => {
    const body = {
      model: 'chat',
      max_tokens: 4,
      messages: [
        { role: 'user', content: 'write it down' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'write', arguments: JSON.stringify({ text: LONG }) } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
      ],
    };
    expect(await servedBy('/v1/chat/completions', body)).toBe('big');
  });

  it('tool definitions are prompt too', async () => {
    const body = {
      model: 'chat',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', description: LONG, parameters: { type: 'object', properties: {} } } }],
    };
    expect(await servedBy('/v1/chat/completions', body)).toBe('big');
  });

  it("vLLM's retrieval documents, and a completion's suffix, are prompt too", async () => {
    const documents = [{ title: 'log', text: LONG }];
    const chat = { model: 'chat', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }], documents };
    expect(await servedBy('/v1/chat/completions', chat)).toBe('big');
    expect(await servedBy('/v1/completions', { model: 'chat', max_tokens: 4, prompt: 'hi', suffix: LONG })).toBe('big');
  });

  it("an image's bytes are not counted as text: a 1 MB base64 image with a short question stays", async () => {
    const body = {
      model: 'chat',
      max_tokens: 4,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(1_000_000)}` } },
          ],
        },
      ],
    };
    expect(await servedBy('/v1/chat/completions', body)).toBe('cheap');
  });
});
