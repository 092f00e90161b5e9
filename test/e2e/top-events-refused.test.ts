/**
 * `aigw top` when the gateway refuses it the event stream while its snapshots are answered: the gateway takes
 * MAX_SUBSCRIBERS readers of /aigw/events (dashboards, other tops) and answers the next 503. The snapshots come on
 * their own connections, so the view said "connected", and the stream was retried in silence: its log said nothing
 * notable happened beside truncations and refusals that only events show. The view now says why it has no events,
 * and stops saying so once a place frees and the stream opens.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_SUBSCRIBERS } from '../../src/observe/event-stream.js';
import { runPlain } from '../../src/tui/plain.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { eventually, ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';

describe('aigw top refused the event stream', () => {
  it('says it has no events and why, beside the figures it still shows, and stops once the stream opens', async () => {
    const gw = await useGateway(ONE_MOCK_PROFILE);
    const cleanupAfter = cleanupScope();
    const readers: AbortController[] = [];
    cleanupAfter(() => {
      for (const r of readers) r.abort();
    });
    for (let i = 0; i < MAX_SUBSCRIBERS; i++) {
      const abort = new AbortController();
      readers.push(abort);
      expect((await fetch(`${gw.adminUrl}/aigw/events`, { signal: abort.signal })).status).toBe(200);
    }
    expect(gw.admin.events.subscribers).toBe(MAX_SUBSCRIBERS);

    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    /** The summary line of the latest tick. */
    const tick = () => text.split('\n').findLast((l) => /^\d\d:\d\d:\d\d connected /.test(l)) ?? '';
    const stop = runPlain(gw.adminUrl, undefined, 100, out);
    cleanupAfter(stop);
    await eventually(() => tick().includes('no events: the admin listener has all the event readers it takes (HTTP 503)'));

    // A place frees: the stream's retry takes it, and a later tick no longer says events are missing.
    readers.pop()!.abort();
    await eventually(() => tick() !== '' && !tick().includes('no events'));
    expect(gw.admin.events.subscribers).toBe(MAX_SUBSCRIBERS);
  }, 30_000);
});
