/**
 * `/mock/stats` `aborted` counts requests whose client went away (contract §5: "aborted by the client, and at which
 * token") — what the bench's cancel scenario and the trust tests read as an abort having reached the backend. A
 * connection the mock cut itself for an injected fault (reset-after, close-after) is the fault's, counted under
 * `faults`: it was also counted as a client abort, at the fault's token, so a profile's random resets read as
 * clients leaving (and cancel took a drawn reset for its own abort, seen "0 ms" after it was sent).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { chat, useMock } from '../helpers/mocks.js';
import { eventually } from '../helpers/eventually.js';
import { rawPost, streamedText } from '../helpers/raw.js';

const mock = await useMock({ name: 'cutter', kind: 'vllm' });
const url = `${mock.url}/v1/chat/completions`;
const stats = async () =>
  (await (await fetch(`${mock.url}/mock/stats`)).json()) as {
    aborted: { count: number; recent: { atToken: number; stream: boolean }[] };
    faults: Record<string, number>;
  };

describe("a mock's own faults are not its clients' aborts", () => {
  it.each([
    ['reset-after:5', true],
    ['close-after:5', true],
    ['reset-after:100', false],
    ['close-after:100', false],
  ])('%s (streamed: %s) is counted as a fault, not as an abort', async (fault, stream) => {
    const before = await stats();
    const r = await rawPost(url, chat('cut me', { max_tokens: 5000, stream }), { headers: { 'x-mock-fault': fault } });
    expect(r.ended).toBe('aborted');
    if (stream) expect(streamedText(r.events).split(' ')).toHaveLength(5);
    // The close reaches the mock's listener in a tick or two: a miscount would be there by now (on a slow machine this
    // may pass without having waited enough; it cannot fail for that).
    await sleep(100);
    const after = await stats();
    const kind = fault.split(':')[0]!;
    expect(after.faults[kind]).toBe((before.faults[kind] ?? 0) + 1);
    expect(after.aborted.count).toBe(before.aborted.count);
  });

  it('a client that leaves a stalled stream is still an abort, at the token it stalled on', async () => {
    const before = await stats();
    await rawPost(url, chat('stall', { max_tokens: 50, stream: true }), {
      headers: { 'x-mock-fault': 'stall-after:3' },
      abortAfterMs: 300,
    });
    await eventually(async () => (await stats()).aborted.count > before.aborted.count);
    const after = await stats();
    expect(after.aborted.count).toBe(before.aborted.count + 1);
    expect(after.aborted.recent.at(-1)).toMatchObject({ atToken: 3, stream: true });
  });

  it('a client that leaves mid-stream is still an abort', async () => {
    const before = await stats();
    await rawPost(url, chat('leave', { max_tokens: 1000, stream: true }), { headers: { 'x-mock-tps': '50' }, abortAfterChunks: 4 });
    await eventually(async () => (await stats()).aborted.count > before.aborted.count);
    expect((await stats()).aborted.count).toBe(before.aborted.count + 1);
  });
});
