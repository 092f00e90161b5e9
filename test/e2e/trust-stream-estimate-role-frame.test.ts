/**
 * A client that leaves an OpenAI stream before its usage pays the text the stream's events carried (relay/sse-relay.ts
 * countOutput): one token an event only for events within a token or two of the smallest frame. vLLM's first chunk
 * announces the role (`"role":"assistant","content":""`), 19 bytes more frame than a content chunk and no text: taken
 * for the smallest frame, every later chunk of up to 35 characters counted one token — a backend sending 4 tokens a
 * chunk (vLLM's --stream-interval, the mock's `chunk`) was charged about a quarter of what the client read (attacker
 * review).
 */
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../src/openai/sse.js';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k-role-frame], limits: { tpm: 100000000 } }
`);

/** The mock's tokens in the complete events the client read: a word each, a space before all but the first. */
function tokensRead(body: Buffer): number {
  let text = '';
  // Only events a blank line ended: the client left wherever a read ended.
  const whole = body.subarray(0, body.lastIndexOf('\n\n') + 2);
  for (const e of decodeSseBody(whole)) {
    if (!e.data || e.data === '[DONE]') continue;
    const j = JSON.parse(e.data) as { choices?: { delta?: { content?: string } }[] };
    text += j.choices?.[0]?.delta?.content ?? '';
  }
  return text.split(' ').filter(Boolean).length;
}

describe('a stream of a few tokens a chunk that the client leaves before its usage', () => {
  it('is charged the text its chunks carried, not one token a chunk', async () => {
    const id = 'role-frame-left';
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', messages: [{ role: 'user', content: 'go on [[mock chunk=4 tps=400]]' }], max_tokens: 4000, stream: true },
      { headers: { authorization: 'Bearer k-role-frame', 'x-request-id': id }, abortAfterChunks: 30 },
    );
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    const read = tokensRead(r.body);
    expect(read).toBeGreaterThanOrEqual(40);
    const e = await gw.requestEvent(id);
    expect(e.clientAborted).toBe(true);
    expect(e.tokens.outputSource).toBe('estimate');
    // At 4 characters a token (~5.5 bytes a token here): more than read. One a chunk was about read / 4.
    expect(e.tokens.output, `${read} tokens read`).toBeGreaterThanOrEqual(Math.floor(0.8 * read));
    expect(e.tokens.output).toBeLessThan(4000);
  });
});
