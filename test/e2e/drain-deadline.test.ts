/**
 * What the drain's deadline does to requests still under way (contract §3): a stream the client is reading ends
 * with one error event and no end marker, never a bare cut; a request still waiting on its backend is answered
 * 503 `gateway_shutting_down`, which a client may retry elsewhere; the backend's request is given up.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

describe("the drain's deadline", () => {
  it('ends the streams it cuts with the error event (both APIs, judged by their SDKs) and answers 503 to a request still waiting', async () => {
    // A backend that takes a request and never answers it.
    let taken = 0;
    const silent = await useUpstream(() => taken++);
    const g = await gatewayFor(
      `
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  a: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-backend, mock: { kind: anthropic } }
  s: { url: "{{silent}}" }
models:
  m: { targets: [{ backend: v }] }
  claude: { targets: [{ backend: a }] }
  stuck: { targets: [{ backend: s }] }
`,
      { silent: silent.url },
    );
    const openai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: g.url, apiKey: 'x', maxRetries: 0 });
    const slow = { headers: { 'x-mock-tps': '5' } };
    const chunks = await openai.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000, stream: true },
      slow,
    );
    const openaiRead = (async () => {
      let text = '';
      for await (const c of chunks) text += c.choices[0]?.delta.content ?? '';
      return text;
    })().catch((e: unknown) => e);
    const messages = anthropic.messages.stream({ model: 'claude', max_tokens: 1000, messages: [{ role: 'user', content: 'x' }] }, slow);
    const anthropicRead = messages.finalMessage().catch((e: unknown) => e);
    let anthropicText = '';
    messages.on('text', (t) => (anthropicText += t));
    const waiting = rawPost(`${g.url}/v1/chat/completions`, { model: 'stuck', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    await eventually(() => taken === 1 && anthropicText.length > 0);

    await g.close(); // the test helper's drain: a 100 ms deadline

    const openaiError = await openaiRead;
    expect(openaiError).toBeInstanceOf(OpenAI.APIError);
    expect(openaiError).toMatchObject({ code: 'gateway_shutting_down' });
    const anthropicError = await anthropicRead;
    expect(anthropicError).toBeInstanceOf(Anthropic.APIError);
    expect(String((anthropicError as Error).message)).toContain('the gateway is shutting down');
    const w = await waiting;
    expect(w.status).toBe(503);
    expect(w.headers.connection).toBe('close');
    expect(JSON.parse(w.body.toString()).error).toMatchObject({ code: 'gateway_shutting_down', type: 'server_error' });
    expect(g.eventsOf('truncation').map((e) => e.reason)).toEqual(['shutdown', 'shutdown']);
    const logged = g.eventsOf('request').map((e) => e.errorType ?? e.status);
    expect(logged.sort()).toEqual(['gateway_shutting_down', 'gateway_shutting_down', 'gateway_shutting_down']);
  });
});
