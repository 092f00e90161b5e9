/**
 * A request that waits for one of a backend's connections has that wait taken from timeouts.firstByte: its head is due
 * sooner, as little as 1 ms after it is sent. When one tenant's long streams hold the connections and others' requests
 * queue behind them, those requests time out at the backend as soon as they reach it — a deadline the gateway's own
 * queue spent — and each counted toward the backend's ejection: three of them ejected a busy, healthy backend (for the
 * cooldown, every request of its model sent to the fallback). A queue timeout never counted (the queue is ours); a head
 * timeout whose deadline the queue took most of no longer does either.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'llama', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

let holds = 0;
/** Healthy and busy: a long stream ends whole 1.5 s in; any other stream's first event comes 1 s after it is asked. */
const busy = await useUpstream((_req, res: ServerResponse, body) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (body.includes('hold')) {
    holds++;
    res.write(chunk('long'));
    setTimeout(() => res.end(`${chunk(' answer')}data: [DONE]\n\n`), 1500);
    return;
  }
  setTimeout(() => res.end(`${chunk('Hello')}data: [DONE]\n\n`), 1000);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
timeouts: { firstByte: 2s }
backends:
  busy: { url: "{{busy}}", pool: { connections: 3, queueTimeout: 1950ms } }
  spare: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: busy, model: llama }], fallbacks: [spare] }
  spare: { targets: [{ backend: spare }] }
`,
  { busy: busy.url },
);

const ask = (content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], max_tokens: 2, stream: true });

describe('a head timeout whose deadline the wait for a connection spent', () => {
  it("does not count toward the ejection of a backend that is only busy with another tenant's streams", async () => {
    const long = [ask('hold 1'), ask('hold 2'), ask('hold 3')];
    await eventually(() => holds === 3);
    // Queued behind the three streams; each reaches the backend 1.5 s in, with ~0.5 s of its deadline left.
    const queued = await Promise.all([ask('work 1'), ask('work 2'), ask('work 3')]);
    for (const r of queued) {
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('spare');
    }
    for (const r of await Promise.all(long)) expect(r.body.toString()).toContain('[DONE]');
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
    // Still in rotation: a request it has time for is its own.
    const next = await ask('work 4');
    expect(next.headers['x-aigw-backend']).toBe('busy');
    expect(next.body.toString()).toContain('Hello');
  }, 20_000);
});
