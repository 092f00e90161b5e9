/**
 * The wall clock steps (NTP, a VM resumed, `date -s`); a backend's cooldown must not step with it. An ejection's end
 * was `Date.now() + cooldown`: after the clock went back an hour, a backend ejected for 300 ms stayed out of its split
 * for an hour — back up and answering, it took none of the traffic its weight asks for. Read on a monotonic clock,
 * the cooldown lasts what it says whatever the wall clock does. Only `Date` is faked here: the gateway runs in this
 * process, so it sees the step; performance.now() and the timers stay real.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startMock } from '../../src/mock/server.js';
import { MockSchema } from '../../src/profile/schema.js';
import { gatewayFor } from '../helpers/gateway.js';
import { chatOnce, inParallel } from '../helpers/load.js';
import { freePort } from '../helpers/ports.js';

const HOUR_MS = 3_600_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('a wall-clock step', () => {
  it('an hour back: an ejected backend is tried again after its 300 ms cooldown, and takes its share once it answers', async () => {
    const port = await freePort();
    const t = await gatewayFor(`
version: 1
resilience: { consecutiveFailures: 2, cooldown: 300ms }
backends:
  flaky: { url: http://127.0.0.1:${port} }
  steady: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  split: { targets: [{ backend: flaky, weight: 50 }, { backend: steady, weight: 50 }] }
`);
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      // Nothing listens on flaky's port: two failures eject it, and failover answers every request from steady.
      const before = await inParallel(10, 1, () => chatOnce(t.url, 'split'));
      expect(before.every((r) => r.status === 200 && r.backend === 'steady')).toBe(true);
      expect(t.eventsOf('ejection')[0]).toMatchObject({ backend: 'flaky', ejected: true, cooldownMs: 300 });

      vi.setSystemTime(Date.now() - HOUR_MS);
      const revived = await startMock({ ...MockSchema.parse({ kind: 'vllm' }), name: 'flaky' }, port);
      try {
        // 600 ms past the cooldown, then 40 requests: half of them are flaky's again. Read against the wall
        // clock, flaky stayed ejected for the hour and steady answered all 40.
        await new Promise((r) => setTimeout(r, 900));
        const after = await inParallel(40, 1, () => chatOnce(t.url, 'split'));
        expect(after.every((r) => r.status === 200)).toBe(true);
        expect(after.filter((r) => r.backend === 'flaky').length).toBeGreaterThanOrEqual(10);
        expect(t.eventsOf('ejection').at(-1)).toMatchObject({ backend: 'flaky', ejected: false });
      } finally {
        await revived.close();
      }
    } finally {
      vi.useRealTimers();
      await t.close();
    }
  });
});
