/**
 * A backend's error event mid-stream that says the request's own fault is not the backend's error in /aigw/stats
 * (attacker review). The stream ends with the error frame and is recorded as cut; the backend's health reads such an
 * event by the status it means and counts a 400 as neither (trust-health-stream-error-events.test.ts), as it does a
 * 4xx before the head — which the stats count as no error either. But the stats counted every cut stream as its
 * backend's error: any client asking for what the engine refuses once it has begun (a grammar vLLM cannot compile)
 * filled a healthy backend's `errors`. A server fault mid-stream is still the backend's error.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const CHUNK = JSON.stringify({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'llama',
  choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }],
});

/** Every stream: a first chunk, then the error event (and the end marker, as vLLM ends one). */
const failing = (error: object) =>
  useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${CHUNK}\n\ndata: ${JSON.stringify({ error })}\n\ndata: [DONE]\n\n`);
  });
const broken = await failing({ message: 'engine step failed', type: 'internal_error' });
const picky = await failing({ message: 'this grammar cannot be compiled', type: 'BadRequestError', code: 400 });
const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 100 }
backends:
  broken: { url: "{{broken}}" }
  picky: { url: "{{picky}}" }
models:
  chat: { targets: [{ backend: broken, model: llama }] }
  strict: { targets: [{ backend: picky, model: llama }] }
`,
  { broken: broken.url, picky: picky.url },
);

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });

describe("a backend's error event mid-stream, in the stats", () => {
  it('is its error for a server fault, not for the request’s own', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await ask('strict')).body.toString()).toContain('this grammar cannot be compiled');
      expect((await ask('chat')).body.toString()).toContain('engine step failed');
    }
    await eventually(() => gw.eventsOf('request').length === 4);
    const stats = gw.admin.stats.snapshot();
    expect(stats.truncations).toHaveLength(4);
    expect(stats.models.chat!.backends.broken).toMatchObject({ requests: 2, errors: 2 });
    expect(stats.models.strict!.backends.picky).toMatchObject({ requests: 2, errors: 0 });
  });
});
