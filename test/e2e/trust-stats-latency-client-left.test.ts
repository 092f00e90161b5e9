/**
 * A backend's latency in /aigw/stats is how long its answers took, not how long clients waited before leaving
 * (attacker review). Every request that reached a backend pushed its duration into the backend's 512-sample ring,
 * one whose client left a millisecond after dispatch too (status 0, no answer): a client that sent requests and hung
 * up at once filled the ring with ~1 ms samples, and a backend taking seconds to answer showed p50 and p99 of a few
 * milliseconds in the stats and `aigw top` — its slowness hidden by anyone who can send a request. Here a backend
 * answers in 400 ms; one answer, then three requests left as the backend got them: p50 read ~10 ms, p99 still the
 * answer's. A request its client left still counts among the backend's requests (it was routed there); a backend with
 * no answer behind its latency says so (`latencySamples` 0), and `aigw top` shows `–` there, not a fast 0 ms. So with
 * a request the backend refused at once for what the client sent (a 4xx, as routing/feedback.ts reads it: it says
 * nothing of the backend's latency) — three bad requests did what three left ones did.
 */
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/app.js';
import { applyStats, initialState } from '../../src/tui/model.js';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const ANSWER_MS = 400;
let arrived: (() => void) | undefined;
const up = await useUpstream((_req, res, body) => {
  arrived?.();
  // A request the backend refuses at once (vLLM checks a prompt's length before its engine sees it).
  if (body.includes('too long')) {
    return void res
      .writeHead(400, { 'content-type': 'application/json' })
      .end('{"error":{"message":"the prompt is too long","type":"BadRequestError","code":400}}');
  }
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER), ANSWER_MS);
});
const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
  c: { url: "{{b}}" }
  d: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
  left: { targets: [{ backend: c }] }
  refused: { targets: [{ backend: d }] }
`,
  { b: up.url },
);
const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

/** Sends `body` and leaves as soon as the backend has it. */
async function leaveAtDispatch(body: object, id: string) {
  const taken = new Promise<void>((r) => (arrived = r));
  await rawPost(`${gw.url}/v1/chat/completions`, body, { headers: { 'x-request-id': id }, abortWhen: taken }).catch(() => undefined);
  return gw.requestEvent(id);
}

describe('a backend’s latency quantiles', () => {
  it('are not lowered by requests whose clients left before the answer', async () => {
    const ok = await rawPost(`${gw.url}/v1/chat/completions`, chat, { headers: { 'x-request-id': 'answered' } });
    expect(ok.status).toBe(200);
    await gw.requestEvent('answered');
    for (let i = 0; i < 3; i++) {
      const e = await leaveAtDispatch(chat, `left-${i}`);
      expect(e).toMatchObject({ clientAborted: true, backend: 'b', attempts: 1 });
    }
    const b = gw.admin.stats.snapshot().models.m!.backends.b!;
    // Counted where they were routed,
    expect(b.requests).toBe(4);
    // but the backend's time is its answer's: the left requests measured only how soon their clients hung up.
    expect(b.latencyMs.p50).toBeGreaterThanOrEqual(ANSWER_MS);
    expect(b.latencyMs.p99).toBeGreaterThanOrEqual(ANSWER_MS);
    expect(b.latencySamples).toBe(1);
  });

  it('are not lowered by requests the backend refused at once (a client’s bad request)', async () => {
    const ok = await rawPost(`${gw.url}/v1/chat/completions`, { ...chat, model: 'refused' }, { headers: { 'x-request-id': 'good' } });
    expect(ok.status).toBe(200);
    await gw.requestEvent('good');
    for (let i = 0; i < 3; i++) {
      const r = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'refused', messages: [{ role: 'user', content: 'too long' }] },
        { headers: { 'x-request-id': `bad-${i}` } },
      );
      expect(r.status).toBe(400);
      // Counted once its event is out (after the answer's end).
      await gw.requestEvent(`bad-${i}`);
    }
    const d = gw.admin.stats.snapshot().models.refused!.backends.d!;
    expect(d.requests).toBe(4);
    expect(d.latencyMs.p50).toBeGreaterThanOrEqual(ANSWER_MS);
    expect(d.latencySamples).toBe(1);
  });

  it('are said to be none while every request was left, and top shows none', async () => {
    for (let i = 0; i < 2; i++) {
      const e = await leaveAtDispatch({ ...chat, model: 'left' }, `left-only-${i}`);
      expect(e).toMatchObject({ clientAborted: true, backend: 'c' });
    }
    const snapshot = gw.admin.stats.snapshot();
    expect(snapshot.models.left!.backends.c).toMatchObject({ requests: 2, latencySamples: 0 });
    const r = render(createElement(App, { initial: applyStats(initialState(), snapshot), width: 140, height: 40 }));
    const row = (r.lastFrame() ?? '').split('\n').find((l) => /\bc\s+2\b/.test(l));
    r.unmount();
    expect(row).toMatch(/p50\s+–ms p99\s+–ms/);
  });
});
