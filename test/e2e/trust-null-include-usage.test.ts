/**
 * `stream_options: {"include_usage": null}` — a client library writing an unset option as null (openai-python passes
 * None through): vLLM reads it (`include_usage: Optional[bool]`) as not asked, but the gateway refused the request
 * 400 "expected boolean, received null", where it takes null for absent in max_tokens, n or stream. Now it is not
 * asked: the gateway asks for usage upstream and keeps the usage chunk from the client, as for an absent one.
 */
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { decodeSseBody } from '../../src/openai/sse.js';
import { OK_CHAT_ANSWER, useStreamOrBodyUpstream } from '../helpers/upstream.js';

const chunk = (o: object) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', ...o })}\n\n`;
const STREAM = `${chunk({ choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }] })}${chunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}data: [DONE]\n\n`;
const up = await useStreamOrBodyUpstream(STREAM, OK_CHAT_ANSWER);
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });

describe('stream_options.include_usage null', () => {
  it('is served as not asked: usage asked upstream, its chunk kept from the client', async () => {
    const seen = up.seen.length;
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"m","stream":true,"stream_options":{"include_usage":null},"messages":[{"role":"user","content":"hi"}]}',
    });
    const text = await r.text();
    expect(r.status, text).toBe(200);
    expect((JSON.parse(up.seen[seen]!.body) as { stream_options: unknown }).stream_options).toEqual({ include_usage: true });
    const events = decodeSseBody(Buffer.from(text)).map((e) => e.data);
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.some((d) => d?.includes('"usage"'))).toBe(false);
  });
});
