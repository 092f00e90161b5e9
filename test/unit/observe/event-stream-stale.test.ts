/**
 * A stream ended for a rotated admin key stops its keepalive (attacker review). A subscriber that does not read keeps
 * its ended response open — the bytes queued for it never drain, so its 'close' never comes — and its keepalive went
 * on: harmless while the key differed (it ended the response again), but once a reload put the old key back (a key
 * removed and set again, a rotation undone) the keepalive wrote to the ended response. Node emits that write after
 * end as an 'error' on the response; nothing listens for one there, so it was thrown and the process exited — every
 * request in flight with it. Here the test listens, and no such error may come.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { EventStream } from '../../../src/observe/event-stream.js';
import { eventually } from '../../helpers/eventually.js';

const servers: Server[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const reload = (message: string) => ({ type: 'reload' as const, ts: Date.now(), ok: true, message });
const turn = () => new Promise((r) => setImmediate(r));

/**
 * A subscriber of `stream` that sent its request and never reads a byte, published to until the kernel's buffers are
 * full and bytes wait in its response; `watch` sees the response first.
 */
async function stuckSubscriber(
  stream: EventStream,
  bus: EventBus,
  watch: (res: ServerResponse) => void,
): Promise<{ subscriber: ServerResponse; client: ReturnType<typeof connect> }> {
  let subscriber: ServerResponse | undefined;
  const server = createServer((req, res) => {
    watch(res);
    subscriber = res;
    stream.handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  client.write('GET /aigw/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  await eventually(() => stream.subscribers === 1);
  const big = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 500 && !(subscriber!.writableLength > 0); i++) {
    for (let j = 0; j < 16; j++) bus.publish(reload(big));
    await turn();
  }
  expect(subscriber!.writableLength).toBeGreaterThan(0);
  return { subscriber: subscriber!, client };
}

describe('an event stream ended for a rotated key', () => {
  it('writes nothing more to a subscriber that does not read, when the old key comes back', async () => {
    // Only the keepalives' clock is ours: the sockets run on real time.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const bus = new EventBus();
    let key: string | undefined = 'key-a';
    const stream = new EventStream(bus, undefined, () => key);
    const errors: Error[] = [];
    // A client that sends its request and never reads a byte, with bytes waiting in its response.
    const { subscriber, client } = await stuckSubscriber(stream, bus, (res) => res.on('error', (e) => errors.push(e)));

    // Rotated: the next event ends the stream, which cannot finish (its bytes wait for a reader).
    key = 'key-b';
    bus.publish(reload('after rotation'));
    expect(stream.subscribers).toBe(0);
    expect(subscriber.writableEnded).toBe(true);
    expect(subscriber.writableFinished).toBe(false);

    // The old key back, and a minute of keepalives.
    key = 'key-a';
    vi.advanceTimersByTime(60_000);
    for (let i = 0; i < 5; i++) await turn();
    expect(errors.map((e) => (e as { code?: string }).code ?? e.message)).toEqual([]);
    client.destroy();
    stream.close();
  }, 30_000);

  it('lets go of a subscriber that does not read: its connection and unsent bytes are not kept once it is no subscriber', async () => {
    // Ended (not destroyed) with bytes waiting, the response waited behind them for a reader that never came: no stall
    // check reaches a stream that is no subscriber, and node:http times out no request already read.
    const bus = new EventBus();
    let key: string | undefined = 'key-a';
    const stream = new EventStream(bus, undefined, () => key);
    stream.maxStallMs = 100;
    let closed = false;
    const { subscriber, client } = await stuckSubscriber(stream, bus, (res) => {
      res.on('error', () => {});
      res.on('close', () => (closed = true));
    });

    key = 'key-b';
    bus.publish(reload('after rotation'));
    expect(stream.subscribers).toBe(0);
    // Before: still open 5 s on (and for good), bytes waiting, maxStallMs long past.
    await eventually(() => closed && subscriber.destroyed, 5000);
    client.destroy();
    stream.close();
  }, 30_000);
});
