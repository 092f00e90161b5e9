/**
 * A backend's refusal of the request itself — a 400 (vLLM checks a prompt's length before its engine sees it), 404, 413,
 * 422, or an error event of that kind mid-stream — says nothing of whether the backend can serve. It was read as the
 * backend's success and wiped its failure streak: an engine that hung (every generation missing timeouts.firstByte) or
 * failed every request while its HTTP layer still refused bad ones was never ejected as long as one request in three
 * was such a refusal — any client's, a bad one every few seconds — and every other request sent there waited out the
 * deadline before its fallback answered.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const TOO_LONG = JSON.stringify({
  object: 'error',
  message: "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens.",
  type: 'BadRequestError',
  code: 400,
});
const CHUNK = JSON.stringify({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'llama',
  choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }],
});

const held: ServerResponse[] = [];
/** Its engine hung: a generation is never answered. Its HTTP layer still refuses a prompt over the context at once. */
const hung = await useUpstream((_req, res, body) => {
  if (body.includes('too long')) return void res.writeHead(400, { 'content-type': 'application/json' }).end(TOO_LONG);
  held.push(res);
});
/** Every request a server fault; a stream asking for a grammar it cannot compile ends with vLLM's 400 error event. */
const failing = await useUpstream((_req, res, body) => {
  if (body.includes('grammar')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const error = { message: 'this grammar cannot be compiled', type: 'BadRequestError', code: 400 };
    return void res.end(`data: ${CHUNK}\n\ndata: ${JSON.stringify({ error })}\n\ndata: [DONE]\n\n`);
  }
  res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"engine step failed","type":"internal_error"}}');
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
timeouts: { firstByte: 500ms }
backends:
  hung: { url: "{{hung}}" }
  failing: { url: "{{failing}}" }
  spare: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: hung, model: llama }], fallbacks: [spare] }
  f: { targets: [{ backend: failing, model: llama }], fallbacks: [spare] }
  spare: { targets: [{ backend: spare }] }
`,
  { hung: hung.url, failing: failing.url },
);

const post = (model: string, content: string, stream = false) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content }], max_tokens: 2, stream });
const ejected = (backend: string) => gw.eventsOf('ejection').filter((e) => e.backend === backend && e.ejected).length;

describe("a backend's refusal of the request says nothing of its health", () => {
  it('a 400 between timeouts does not keep a hung backend from being ejected', async () => {
    const work = async (content: string) => {
      const r = await post('m', content);
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('spare');
    };
    await work('work 1');
    await work('work 2');
    // Only the hung backend answers 400 (the spare would answer it).
    expect((await post('m', 'too long')).status).toBe(400);
    // The third timeout in a row, the refusal between them aside: ejected (it was the first of a new streak).
    await work('work 3');
    expect(ejected('hung')).toBe(1);
    // Out of rotation: the next request goes to the fallback at once, not after another deadline there.
    const before = held.length;
    await work('after');
    expect(held.length).toBe(before);
  }, 20_000);

  it("a stream ended by the backend's 400 error event does not wipe a failing backend's streak either", async () => {
    const work = async (content: string) => expect((await post('f', content)).headers['x-aigw-backend']).toBe('spare');
    await work('work 1');
    await work('work 2');
    const picky = await post('f', 'grammar', true);
    expect(picky.status).toBe(200);
    expect(picky.body.toString()).toContain('this grammar cannot be compiled');
    await work('work 3');
    expect(ejected('failing')).toBe(1);
  }, 20_000);
});
