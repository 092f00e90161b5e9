/**
 * What an ejection learns from answers that were already under way when it began. Requests sent to a backend before
 * it was ejected end during the ejection: each failure among them ejected it again for twice as long — six requests
 * that failed together ejected it for 8 × the cooldown (seven or more, for maxCooldown), where the README says the
 * cooldown doubles on a relapse after it — and a success among them published `ejected: false` ('recovered', 'back in
 * rotation') while the backend stayed ejected, and wiped its streak: after the cooldown, a relapse took a whole new
 * streak of failures to eject it again, not one.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useUpstream } from '../helpers/upstream.js';

const busy = (res: ServerResponse) =>
  res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"busy","type":"ServiceUnavailable","code":503}}');
const ok = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK);

const BURST = 6;
const burst: ServerResponse[] = [];
let slow: ServerResponse | undefined;

const flaky = await useUpstream((_req, res, body) => {
  if (body.includes('burst')) {
    // Held until all of them are under way, then refused together.
    burst.push(res);
    if (burst.length === BURST) for (const r of burst.splice(0)) busy(r);
    return;
  }
  if (body.includes('slow-ok')) return void (slow = res);
  if (body.includes('refuse')) return busy(res);
  ok(res);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 1s, maxCooldown: 60s }
backends:
  one: { url: "{{flaky}}" }
  two: { url: "{{flaky}}" }
  spare: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m1: { targets: [{ backend: one }], fallbacks: [spare] }
  m2: { targets: [{ backend: two }], fallbacks: [spare] }
  spare: { targets: [{ backend: spare }] }
`,
  { flaky: flaky.url },
);

const post = (model: string, content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content }], max_tokens: 2 });
const ejections = (backend: string) =>
  gw
    .eventsOf('ejection')
    .filter((e) => e.backend === backend)
    .map((e) => ({ ejected: e.ejected, cooldownMs: e.cooldownMs }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('answers under way when a backend is ejected', () => {
  it('six that fail together eject it once, for the cooldown: after it, the backend is tried again', async () => {
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => post('m1', `burst ${i}`)));
    for (const r of answers) {
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('spare');
    }
    expect(ejections('one')).toEqual([{ ejected: true, cooldownMs: 1000 }]);
    await sleep(1200);
    const probe = await post('m1', 'probe');
    expect(probe.status).toBe(200);
    expect(probe.headers['x-aigw-backend']).toBe('one');
  }, 20_000);

  it('one that succeeds during the ejection neither says it recovered nor wipes the streak a relapse doubles', async () => {
    const pending = post('m2', 'slow-ok');
    await eventually(() => slow !== undefined);
    for (let i = 0; i < 3; i++) expect((await post('m2', `refuse ${i}`)).headers['x-aigw-backend']).toBe('spare');
    expect(ejections('two')).toEqual([{ ejected: true, cooldownMs: 1000 }]);
    ok(slow!);
    const answered = await pending;
    expect(answered.status).toBe(200);
    expect(answered.headers['x-aigw-backend']).toBe('two');
    // Still ejected: no event may say otherwise.
    expect(ejections('two')).toEqual([{ ejected: true, cooldownMs: 1000 }]);
    await sleep(1200);
    // Half-open: one more failure ejects it again, for twice as long.
    expect((await post('m2', 'refuse again')).headers['x-aigw-backend']).toBe('spare');
    expect(ejections('two')).toEqual([
      { ejected: true, cooldownMs: 1000 },
      { ejected: true, cooldownMs: 2000 },
    ]);
  }, 20_000);
});
