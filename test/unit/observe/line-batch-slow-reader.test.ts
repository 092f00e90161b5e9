/**
 * A log whose reader falls behind costs a bounded amount of memory (attacker review). stdout to a pipe or a socket is
 * written asynchronously by Node (measured: 20,000 lines written to a pipe nobody read left 20 MB waiting in
 * process.stdout), so a container runtime's log pipe that stalls, or `aigw serve | less` paused, kept every request's
 * line in memory for as long as it lagged: the clients' request rate, not the operator, decided how fast it grew.
 * Past a bound the batches are dropped and counted, and the log says so once its reader is back. Here the log goes to
 * a real socket whose other end does not read, as stdout does to a pipe.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { RequestRecord } from '../../../src/events/request-record.js';
import { attachRequestLog } from '../../../src/observe/request-log.js';
import { eventually } from '../../helpers/eventually.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A socket to a reader that reads nothing until `resume()`; what it read once resumed. */
async function stalledReader() {
  let reader: Socket | undefined;
  let read = '';
  const server = createServer((s) => {
    reader = s;
    s.pause();
    s.on('data', (d: Buffer) => (read += d.toString()));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const out = connect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise((r) => out.once('connect', r));
  await eventually(() => reader !== undefined);
  return {
    out,
    resume: () => reader!.resume(),
    read: () => read,
    close: () => {
      out.destroy();
      reader!.destroy();
    },
  };
}

describe('a request log whose reader stops reading', () => {
  it('holds a bounded amount waiting for it, and says how many lines it dropped once the reader is back', async () => {
    const sink = await stalledReader();
    const bus = new EventBus();
    const detach = attachRequestLog(bus, 'json', sink.out);
    let mostWaiting = 0;
    // 100,000 requests' lines (~25 MB of JSON), a thousand a turn, as a busy gateway finishes them.
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < 1000; j++) bus.publish(new RequestRecord(`req-${i}-${j}`).toEvent());
      await turn();
      mostWaiting = Math.max(mostWaiting, sink.out.writableLength);
    }
    // Held, all of it waited (25 MB here, and as much more as requests came); the bound is 16 MiB and one batch.
    expect(mostWaiting).toBeLessThan(17 * 1024 * 1024);

    sink.resume();
    await eventually(() => sink.out.writableLength === 0);
    bus.publish(new RequestRecord('req-after').toEvent());
    await eventually(() => sink.read().includes('req-after'));
    const dropped = sink
      .read()
      .split('\n')
      .filter((l) => l.includes('"log_dropped"'))
      .map((l) => JSON.parse(l) as { lines: number });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.lines).toBeGreaterThan(0);
    // Every line is either written whole or counted as dropped.
    const written = sink
      .read()
      .split('\n')
      .filter((l) => l.includes('"type":"request"')).length;
    expect(written + dropped[0]!.lines).toBe(100_001);
    detach();
    sink.close();
  }, 60_000);
});
