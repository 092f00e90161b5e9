/**
 * A client that leaves once it read the end marker — openai-python stops at `[DONE]` and closes the response —
 * from a backend that has not ended its body yet (a second write, or one that lingers: the gateway gives it a second
 * after the marker). The answer went out whole, its end marker included, but the request was recorded as one its client
 * left before the answer was complete: `clientAborted` in its event, `aigw_client_aborts_total`, the client-aborted
 * error type in the GenAI metrics, and no latency sample. An answer whose end marker went out is now whole whoever
 * closes first.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const CHUNK = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: 'stop' }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })}\n\n`;

/** The answer and its end marker, then the body held open (ended when the connection closes). */
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`${CHUNK}${USAGE}data: [DONE]\n\n`);
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });

/** Sends a stream request and closes the connection as soon as `[DONE]` arrived, as openai-python does. */
function readToDoneAndLeave(): Promise<string> {
  const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  return new Promise((resolve) => {
    let text = '';
    const s = connect(Number(new URL(gw.url).port), '127.0.0.1', () =>
      s.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-request-id: leaves-after-done\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      ),
    );
    s.on('data', (d) => {
      text += d.toString();
      if (text.includes('data: [DONE]\n\n')) {
        s.destroy();
        resolve(text);
      }
    });
    s.on('error', () => {});
  });
}

describe('a client that leaves at the end marker of a stream its backend has not ended', () => {
  it('is recorded as a whole answer: not aborted, not cut, its usage the backend’s', async () => {
    const text = await readToDoneAndLeave();
    expect(text).toContain('"Hello"');
    const e = await gw.requestEvent('leaves-after-done');
    expect(e).toMatchObject({ status: 200, clientAborted: false, truncated: false, tokens: { output: 1, outputSource: 'usage' } });
    await eventually(() => up.seen.length === 1);
  });
});
