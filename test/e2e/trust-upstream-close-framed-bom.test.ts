/**
 * An answer framed by its connection's close (trust: close-framed cut) that opens with a byte-order mark: the gateway
 * takes such a body for an answer (error-head.ts reads past the mark, as fetch's `response.json()` — openai-node's —
 * strips it), but the check that the close came after the end of its JSON judged nothing once the text opened with
 * anything but a bracket: a backend that died mid-answer reached the client as a whole 200 with a clean end.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER, useRawUpstream } from '../helpers/upstream.js';

const BOM = '\uFEFF';
const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n';
const CUT = OK_CHAT_ANSWER.slice(0, Math.floor(OK_CHAT_ANSWER.length / 2));

const up = await useRawUpstream((socket, request) => {
  const whole = request.includes('"content":"whole"');
  socket.write(HEAD);
  socket.write(Buffer.from(BOM + CUT));
  setTimeout(() => socket.end(whole ? OK_CHAT_ANSWER.slice(CUT.length) : ''), 20);
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{up}}" }
models:
  m: { targets: [{ backend: b }] }
`,
  { up: up.url },
);

const post = (content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], max_tokens: 2 });

describe('an answer framed by the close, after a byte-order mark', () => {
  it('cut inside its JSON: the client sees the cut, not a clean end, and it is a truncation', async () => {
    const r = await post('cut');
    expect(r.body.toString()).toBe(BOM + CUT);
    expect(r.ended).toBe('aborted');
    expect(gw.eventsOf('truncation').map((e) => e.reason)).toContain('upstream_reset');
  });

  it('whole: relayed whole', async () => {
    const r = await post('whole');
    expect([r.status, r.ended, r.body.toString()]).toEqual([200, 'complete', BOM + OK_CHAT_ANSWER]);
  });
});
