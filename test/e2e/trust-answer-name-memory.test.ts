/**
 * The model a streamed answer names is kept as its own short string, not as a view into the event it came in
 * (attacker review). relay/json-text.ts read it with String.prototype.slice, and V8 makes a slice of 13 characters or
 * more a view that keeps the whole string it was cut from: the model name of a stream's first event kept that event's
 * whole decoded text, up to limits.maxEventBytes (16 MiB). The name goes into the request's event, which the admin's
 * event history keeps (256 with nobody reading, 1,024 while someone does), into the metrics' learned response models
 * and their series (for good), and with tracing into the span's id and finish reasons: a backend whose answers open
 * with one large event made each answer's event hold it — 256 of 16 MiB, 4 GiB, with nobody subscribed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'sk-tenant-trust-name-mem';
const ANSWERS = 16;
const FIRST_EVENT = 4 * 1024 * 1024;

/** A stream whose first event names a model of more than 13 characters and carries 4 MiB of text. */
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const first = {
    id: 'chatcmpl-0123456789abcdef',
    object: 'chat.completion.chunk',
    model: 'backend-model-with-a-long-name',
    choices: [{ index: 0, delta: { role: 'assistant', content: 'x'.repeat(FIRST_EVENT) }, finish_reason: null }],
  };
  const last = { ...first, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
  res.end(`data: ${JSON.stringify(first)}\n\ndata: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`);
});

const gw = await useGateway(scriptedBackendProfile(KEY), { u: up.url });

const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe("a streamed answer's model name", () => {
  it('keeps nothing of the event it came in', async () => {
    // One answer first: what the first request sets up (pools, compiled code, learned names) is not counted.
    const ask = async () => {
      const r = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'hi' }], max_tokens: 10_000_000 },
        { headers: { authorization: `Bearer ${KEY}` } },
      );
      expect(r.status).toBe(200);
      const event = await gw.requestEvent(r.headers['x-request-id']);
      expect(event.responseModel).toBe('backend-model-with-a-long-name');
    };
    await ask();
    await new Promise((r) => setTimeout(r, 300));
    const before = heap();
    for (let i = 0; i < ANSWERS; i++) await ask();
    await new Promise((r) => setTimeout(r, 300));
    const grown = heap() - before;
    // Held, the events kept 16 × 4 MiB (64 MiB); what they should keep is a few kilobytes each.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  }, 60_000);
});
