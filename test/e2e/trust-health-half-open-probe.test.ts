/**
 * A backend back from an ejection is half-open: its next request is a probe, and while that probe has no answer the
 * backend takes no other. A backend that hangs (its HTTP layer accepts, its engine never answers — a stuck GPU) was
 * given its whole share again the moment each cooldown ended: every request that picked it in the next
 * timeouts.firstByte (120 s by default) waited all of it before failing over — on a 1:1 split, half of them, cooldown
 * after cooldown. Now one request waits, the others go to its peers, and a head ends the probe.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useServer, useUpstream } from '../helpers/upstream.js';

let hungSeen = 0;
let answering = false;
const held: ServerResponse[] = [];
const hung = await useServer((_req, res) => {
  hungSeen++;
  if (answering) return void res.writeHead(200, { 'content-type': 'application/json' }).end(OK);
  held.push(res);
});
const good = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK));

const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 2s }
resilience: { consecutiveFailures: 1, cooldown: 1ms, maxCooldown: 1ms }
backends:
  hung: { url: "{{hung}}" }
  good: { url: "{{good}}" }
models:
  m: { targets: [{ backend: hung }, { backend: good }] }
`,
  { hung, good: good.url },
);

const ask = () => rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
/** Until the cooldown of the last ejection of `hung` has passed (it is 1 ms). */
const cooledDown = async () => {
  const last = gw
    .eventsOf('ejection')
    .filter((e) => e.backend === 'hung' && e.ejected)
    .at(-1)!;
  await eventually(() => Date.now() >= last.ts + last.cooldownMs + 20);
};

describe('a backend back from an ejection', () => {
  it('takes one request, not its share, until that probe has an answer', async () => {
    // The rotation's first pick: it hangs, the request fails over after timeouts.firstByte, the backend is ejected.
    expect((await ask()).status).toBe(200);
    expect(hungSeen).toBe(1);
    await cooledDown();
    const statuses = (await Promise.all(Array.from({ length: 6 }, ask))).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    // Before: 3 of the 6 (its turn every other request), each held for the whole deadline.
    expect(hungSeen).toBe(2);
  }, 30_000);

  it('a probe answered lets the rest through', async () => {
    await cooledDown();
    answering = true;
    const before = hungSeen;
    for (let i = 0; i < 6; i++) expect((await ask()).status).toBe(200);
    expect(hungSeen - before).toBe(3);
  }, 30_000);
});
