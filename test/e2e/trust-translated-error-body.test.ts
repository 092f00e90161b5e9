/**
 * A 2xx whose body is the backend's error object (`{"type": "error", …}` from an Anthropic-speaking proxy,
 * `{"error": …}` from OpenRouter and others) is read as the error it is when its bytes pass through (error-head.ts):
 * judged by the status it means, its message told. A translated answer was not read so: its translation found no
 * Message (no chat completion) and the client got 502 "the backend's answer cannot be translated" — the backend's
 * reason lost — while the attempt failed over to every target and counted as each one's failure: a client's prompt
 * that was too long (invalid_request_error, its own mistake) ejected a healthy backend at its second request. Now the
 * error is the answer's, as passed through: a 400 with its message, no failover, no ejection. A stream request's 2xx
 * JSON was refused alike, translated or not ("a stream was asked for, the answer is JSON"): the same error object is
 * read as the error it is there too. (attacker review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const json = (body: object) =>
  useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));

const tooLong = await json({
  type: 'error',
  error: { type: 'invalid_request_error', message: 'prompt is too long: 250000 tokens > 200000 maximum' },
});
const whole = await json({
  id: 'msg',
  type: 'message',
  role: 'assistant',
  model: 'claude',
  content: [{ type: 'text', text: 'fine' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1 },
});
const oaTooLong = await json({ error: { message: 'context length exceeded', type: 'invalid_request_error', code: 400 } });

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 2, cooldown: 60s }
backends:
  too-long: { url: "{{tooLong}}", kind: anthropic }
  whole: { url: "{{whole}}", kind: anthropic }
  oa-too-long: { url: "{{oaTooLong}}" }
models:
  claude: { targets: [{ backend: too-long }], fallbacks: [spare] }
  spare: { targets: [{ backend: whole }] }
  llama: { targets: [{ backend: oa-too-long }] }
`,
  { tooLong: tooLong.url, whole: whole.url, oaTooLong: oaTooLong.url },
);
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });

describe("a translated 2xx whose body is the backend's error object", () => {
  it("an Anthropic backend's invalid_request_error is the OpenAI client's 400, with its message: no fallback, no ejection", async () => {
    for (let i = 0; i < 3; i++) {
      const err = await openai.chat.completions
        .create({ model: 'claude', messages: [{ role: 'user', content: 'a very long prompt' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as Error).message).toContain('prompt is too long');
      expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 400, backend: 'too-long', attempts: 1 });
    }
    expect(whole.seen.length).toBe(0);
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
  });

  it('asked for a stream, the same: the error object is the 400 it means, translated or passed through', async () => {
    const stream = (model: string) =>
      openai.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'a very long prompt' }], stream: true })
        .catch((e: unknown) => e);
    const translated = await stream('claude');
    expect(translated).toBeInstanceOf(OpenAI.BadRequestError);
    expect((translated as Error).message).toContain('prompt is too long');
    const passed = await stream('llama');
    expect(passed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((passed as Error).message).toContain('context length exceeded');
    expect(whole.seen.length).toBe(0);
  });

  it("an OpenAI backend's error object (code 400) is the Anthropic client's 400, with its message", async () => {
    const err = await anthropic.messages
      .create({ model: 'llama', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('context length exceeded');
  });
});
