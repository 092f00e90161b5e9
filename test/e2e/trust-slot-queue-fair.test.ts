/**
 * A backend's connection queue shared between tenants: one tenant keeping it full (within its own limits — it has
 * none here) must not refuse or stall another's request for as long as its own backlog lasts. The upstream holds each
 * answer until the test releases it, so the order of service is read, not timed.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const held: { who: string; res: ServerResponse }[] = [];
const up = await useUpstream((_req, res, body) => {
  held.push({ who: JSON.parse(body).messages[0].content, res });
});
const releaseNext = () => {
  const h = held.find((x) => !x.res.writableEnded)!;
  h.res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
  return h.who;
};

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}", pool: { connections: 1, queue: 4, queueTimeout: 30s } }
models:
  m: { targets: [{ backend: b }] }
tenants:
  noisy: { keys: ["key-noisy"] }
  quiet: { keys: ["key-quiet"] }
`,
  { b: up.url },
);

const post = (key: string, who: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: who }], max_tokens: 5 },
    { headers: { authorization: `Bearer ${key}` } },
  );
/** Releases each held answer as it arrives until every one of `answers` is in. */
async function drain<T>(answers: Promise<T>[]): Promise<T[]> {
  let done = false;
  const all = Promise.all(answers).finally(() => {
    done = true;
  });
  while (!done) {
    await eventually(() => done || held.some((h) => !h.res.writableEnded));
    if (!done) releaseNext();
  }
  return all;
}
const slots = () => gw.gateway.state.runtime.backends.get('b')!.slots;

describe("a backend's connection queue is shared by tenants in turn", () => {
  it("serves another tenant's request next instead of refusing it behind one tenant's full queue", async () => {
    // noisy: one request on the only connection, four more filling the queue.
    const noisy = [post('key-noisy', 'n0')];
    await eventually(() => held.length === 1);
    for (let i = 1; i <= 4; i++) noisy.push(post('key-noisy', `n${i}`));
    await eventually(() => slots().queued === 4);

    const quiet = post('key-quiet', 'q');
    // quiet takes the place of noisy's newest (refused as if it had come last), not refused itself: one of the two
    // is answered at once.
    const first = await Promise.race([quiet.then((r) => ['quiet', r.status]), noisy[4]!.then((r) => ['n4', r.status])]);
    expect(first).toEqual(['n4', 503]);
    const order = [releaseNext()];
    await eventually(() => held.length === 2);
    // quiet is served next, not after noisy's whole backlog.
    order.push(releaseNext());
    const q = await quiet;
    expect(q.status).toBe(200);
    expect(order).toEqual(['n0', 'q']);
    const statuses = (await drain(noisy)).map((r) => r.status);
    // Exactly noisy's newest was refused (503, retryable) to make room; the rest were served in order.
    expect(statuses).toEqual([200, 200, 200, 200, 503]);
    expect(held.map((h) => h.who)).toEqual(['n0', 'q', 'n1', 'n2', 'n3']);
  }, 20_000);

  it("serves another tenant's request before one tenant's queued backlog when the queue has room", async () => {
    held.length = 0;
    const noisy = [post('key-noisy', 'n0')];
    await eventually(() => held.length === 1);
    for (let i = 1; i <= 2; i++) noisy.push(post('key-noisy', `n${i}`));
    await eventually(() => slots().queued === 2);
    const quiet = post('key-quiet', 'q');
    await eventually(() => slots().queued === 3);
    const all = await drain([...noisy, quiet]);
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    // A single FIFO served q after n1 and n2: behind all of noisy's backlog (its queueTimeout, then 503, had it been longer).
    expect(held.map((h) => h.who)).toEqual(['n0', 'q', 'n1', 'n2']);
  }, 20_000);
});
