/** A client that reads nothing: cut after timeouts.clientStall, never while it reads, never with 0s. */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RequestRecord } from '../../../src/events/request-record.js';
import { Downstream } from '../../../src/relay/downstream.js';

/** A response whose socket takes nothing: every write is refused until `drain` is emitted. */
function fullSocket(stallMs: number) {
  const res = Object.assign(new EventEmitter(), {
    destroyed: false,
    headersSent: true,
    write: () => false,
    end() {},
    destroy() {
      res.destroyed = true;
    },
  });
  const out = new Downstream(res as unknown as ServerResponse, new RequestRecord('req-stall'), undefined, stallMs);
  const flow = { paused: 0, pause: () => flow.paused++, resume() {} };
  out.attach(flow);
  return { res, out };
}

describe('a client that reads nothing', () => {
  it('loses its connection once it has read nothing for clientStall', async () => {
    const { res, out } = fullSocket(20);
    out.write('data: x\n\n');
    await sleep(500);
    expect(res.destroyed).toBe(true);
  });

  it('keeps it while drains come, each one starting the window again', async () => {
    // 2 s of waits in all against a 1 s window: a window that did not start again would have cut it.
    const { res, out } = fullSocket(1000);
    for (let i = 0; i < 40; i++) {
      out.write('data: x\n\n');
      await sleep(50);
      res.emit('drain');
    }
    expect(res.destroyed).toBe(false);
  });

  it('is never cut with clientStall 0s (off, as idle 0s is)', async () => {
    const { res, out } = fullSocket(0);
    out.write('data: x\n\n');
    await sleep(300);
    expect(res.destroyed).toBe(false);
  });
});
