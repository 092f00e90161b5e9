/**
 * A collector that answers an export and then trickles its body (attacker review). The OTLP exporter's timeout is
 * the socket's idle time, so a byte every half second kept the export running for good: its spans and JSON held, one
 * of the exporter's few concurrent slots taken (with a few such answers every later batch was refused at once, its
 * spans dropped), and the processor — whose longer deadline was meant to let the exporter give up first — abandoned
 * it at 15 s. Now each export request ends at the exporter's deadline (10 s) in all, its connection closed.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTracing } from '../../src/observe/tracing.js';
import { eventually } from '../helpers/eventually.js';
import { useServer } from '../helpers/upstream.js';

describe('a collector that trickles its answer', () => {
  it('is given up on at the export deadline, its connection closed', async () => {
    let exports = 0;
    const open = new Set<Socket>();
    const url = await useServer(
      (req, res) => {
        req.resume();
        req.on('end', () => {
          exports++;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{');
          const drip = setInterval(() => res.write(' '), 500);
          res.on('close', () => clearInterval(drip));
        });
      },
      (socket) => {
        open.add(socket);
        socket.on('close', () => open.delete(socket));
      },
    );
    const tracing = await createTracing({ otlp: url, sampleRatio: 1, captureContent: false });
    tracing.startRequest({ endpoint: 'chat' }).end(200);
    const started = performance.now();
    await tracing.flush();
    const took = performance.now() - started;
    expect(exports).toBe(1);
    // The exporter gave up at its deadline (10 s); the processor's own (15 s, now 25 s) did not have to. The bound sits
    // between the two, far from both: a loaded machine's late timers do not cross it.
    expect(took).toBeGreaterThan(9_000);
    expect(took).toBeLessThan(20_000);
    // And the request it gave up is over: the collector's connection is closed, not dripped into.
    await eventually(() => open.size === 0, 2_000);
    await tracing.shutdown();
  }, 40_000);
});
