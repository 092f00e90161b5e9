/**
 * `/aigw/stats`' top-level `inflight` is the requests the gateway holds, as `aigw_inflight_requests` says: it summed
 * the backends' connections in use, so a request waiting in a backend's queue (its one connection busy) was in the
 * metric and not in the snapshot — under load the two disagreed by the whole queue (admin review).
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

let release!: () => void;
const released = new Promise<void>((r) => (release = r));
const up = await useUpstream((_req, res) => {
  void released.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
});
const gw = await useGateway(
  `
version: 1
backends:
  one: { url: "{{u}}", pool: { connections: 1, queue: 4 } }
models:
  m: { targets: [{ backend: one }] }
`,
  { u: up.url },
);

const statsInflight = async () => ((await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as { inflight: number }).inflight;
const metricInflight = async () =>
  Number(/^aigw_inflight_requests (\S+)$/m.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text())?.[1]);

describe("/aigw/stats' inflight", () => {
  it('counts a request queued for a backend connection, as aigw_inflight_requests does', async () => {
    const ask = () => rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const answers = [ask(), ask(), ask()];
    // One holds the connection, two wait in its queue.
    await eventually(async () => (await metricInflight()) === 3);
    expect(await statsInflight()).toBe(3);
    release();
    for (const a of await Promise.all(answers)) expect(a.status).toBe(200);
    await eventually(async () => (await statsInflight()) === 0);
  });
});
