/**
 * A backend's connection slots are neither leaked nor released twice when attempts fail over and clients leave —
 * while queued, during the failing attempt, before their first byte, mid-stream — or read to the end. (Each
 * attempt releases its slot when its outcome is known, not when an awaiting frame resumes: attempts.ts.)
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

// "bad": answers 503 after 30 ms (fails over); "good": a slow stream (20 chunks, 25 ms apart).
const bad = await useUpstream((_req, res) => {
  setTimeout(() => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
    res.end('{"error":{"message":"busy"}}');
  }, 30);
});
const good = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let i = 0;
  const t = setInterval(() => {
    if (res.destroyed) return clearInterval(t);
    if (i++ < 20)
      res.write(
        `data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n`,
      );
    else {
      clearInterval(t);
      res.end('data: [DONE]\n\n');
    }
  }, 25);
  res.on('close', () => clearInterval(t));
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 100000, attempts: 3 }
backends:
  bad: { url: "{{bad}}", maxConnections: 8, pool: { queue: 50, queueTimeout: 5s } }
  good: { url: "{{good}}", maxConnections: 2, pool: { queue: 50, queueTimeout: 5s } }
models:
  m: { targets: [{ backend: bad }], fallbacks: [spare] }
  spare: { targets: [{ backend: good }] }
`,
  { bad: bad.url, good: good.url },
);

/** `abort`: leave after that many ms, or at the first chunk of the answer ('first-chunk': mid-stream for sure). */
function stream(abort: number | 'first-chunk' | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
        if (abort === 'first-chunk') req.destroy();
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', () => resolve({ status: res.statusCode!, body }));
      res.on('close', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('close', () => setTimeout(() => resolve({ status: 0, body: '' }), 50));
    req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    if (typeof abort === 'number') setTimeout(() => req.destroy(), abort);
  });
}

const slots = (name: string) => gw.gateway.state.runtime.backends.get(name)!.slots;

describe('slots under failover and client aborts', () => {
  it('returns every slot of both backends', async () => {
    const runs: Promise<{ status: number; body: string }>[] = [];
    for (let i = 0; i < 40; i++) {
      // Reads to the end, leaves at its first chunk, or after a time: queued on bad, during its 503, queued on good, mid-stream.
      runs.push(stream(i % 5 === 0 ? undefined : i % 5 === 1 ? 'first-chunk' : [10, 45, 100, 300, 700, 1200][i % 6]));
    }
    const results = await Promise.all(runs);
    expect(results.some((r) => r.status === 200 && r.body.includes('[DONE]'))).toBe(true);
    // The run did fail over, and clients did leave mid-stream on the fallback.
    expect(gw.eventsOf('upstream_error').filter((e) => e.retried).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    const cut = gw.eventsOf('request').filter((e) => e.clientAborted && e.backend === 'good' && e.status === 200);
    expect(cut.length).toBeGreaterThan(0);
    await eventually(
      () => slots('bad').inUse === 0 && slots('good').inUse === 0 && slots('good').queued === 0 && slots('bad').queued === 0,
      10_000,
    ).catch(() => {});
    expect({ bad: [slots('bad').inUse, slots('bad').queued], good: [slots('good').inUse, slots('good').queued] }).toEqual({
      bad: [0, 0],
      good: [0, 0],
    });
    // And the slots still work: two full streams at once.
    const again = await Promise.all([stream(undefined), stream(undefined)]);
    expect(again.map((r) => r.body.includes('[DONE]'))).toEqual([true, true]);
    expect([slots('bad').inUse, slots('good').inUse]).toEqual([0, 0]);
  }, 30_000);
});
