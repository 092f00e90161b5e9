/**
 * Scenarios that send their requests one after the other (accounting's 40, split's 200 stickiness checks) against a
 * gateway that has stopped answering: the first answer cut at its deadline ends them, as it ends `long`'s sizes —
 * they no longer wait out one deadline per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { accounting } from '../../../src/bench/accounting.js';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

/** An answer is cut 0.7 s after it was asked for. */
const shortDeadline = { durationMs: 100, drainMs: 600, connections: 1 };

describe('a serial scenario against a gateway that stopped answering', () => {
  it('accounting stops at the first answer cut at its deadline', async () => {
    let asked = 0;
    // Takes each request and never answers it.
    const url = await useServer(() => {
      asked++;
    });
    const t0 = performance.now();
    const r = await accounting(benchContext({ url, mocks: {} }, shortDeadline));
    // One request, not 40 one deadline after the other (28 s here; 47 minutes at --duration 10s).
    expect(asked).toBe(1);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.lines[0]).toContain('stopped: an answer was still coming 0.7s after it was asked for');
    // What it sent was not answered: the views disagree, as they should.
    expect(Number(r.figures['accounting.disagreement'])).toBeGreaterThan(0);
  });

  it("split's stickiness check stops at the first answer cut at its deadline", async () => {
    let sticky = 0;
    // Answers the split, and never a request of a session (the stickiness check's).
    const url = await useServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      if (req.headers['x-session']) {
        sticky++;
        return;
      }
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ system_fingerprint: 'a', choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } })),
      );
    });
    const profile = { models: { m: { targets: [{ backend: 'a', weight: 1 }], sticky: { header: 'x-session' } } } } as never;
    const t0 = performance.now();
    const r = await split(benchContext({ url, mocks: {} }, { ...shortDeadline, profile }));
    // One session's first request, not 200 of them one deadline after the other.
    expect(sticky).toBe(1);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.figures['split.stickiness']).toBeNull();
    expect(r.lines.join('\n')).toContain('stopped: an answer was still coming 0.7s after it was asked for');
    expect(Number(r.figures['split.requests'])).toBeGreaterThan(0);
  });
});
