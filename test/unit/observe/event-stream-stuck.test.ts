/**
 * `/aigw/events` subscribers that take a place and never read (attacker review). Past the pending-bytes cap a
 * subscriber's events are dropped, but it kept its place among the 64, its connection and its megabyte for good: 64
 * such clients (or 64 `HEAD /aigw/events`, whose writes Node discards and whose head it never sends) left `aigw top`
 * with 503 overloaded until the gateway restarted. Now a subscriber that stays past the cap for `maxStallMs` is
 * ended, and a HEAD is answered the stream's head alone. Real sockets on 127.0.0.1.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { EventStream, MAX_SUBSCRIBERS } from '../../../src/observe/event-stream.js';
import { eventually } from '../../helpers/eventually.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
const streams: EventStream[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of streams.splice(0)) s.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const reload = (message: string) => ({ type: 'reload' as const, ts: Date.now(), ok: true, message });
const turn = () => new Promise((r) => setImmediate(r));

async function eventsServer(stream: EventStream): Promise<{ port: number; responses: ServerResponse[] }> {
  const responses: ServerResponse[] = [];
  const server = createServer((req, res) => {
    responses.push(res);
    stream.handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, responses };
}

/** A client that sends `head` and never reads a byte; what it was sent stays unread. */
function rawClient(port: number, head: string): Socket {
  const client = connect(port, '127.0.0.1');
  client.on('error', () => {});
  client.pause();
  client.write(head);
  sockets.push(client);
  return client;
}

/** A client that reads: the text it was sent so far. */
function readingClient(port: number): () => string {
  const client = connect(port, '127.0.0.1');
  let text = '';
  client.on('error', () => {});
  client.on('data', (d: Buffer) => (text += d.toString('latin1')));
  client.write('GET /aigw/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  sockets.push(client);
  return () => text;
}

describe('an /aigw/events subscriber that never reads', () => {
  it('is ended once its unsent bytes stayed past the cap for maxStallMs; a reader keeping up is not', async () => {
    const bus = new EventBus();
    const stream = new EventStream(bus);
    streams.push(stream);
    stream.maxStallMs = 1000;
    const { port, responses } = await eventsServer(stream);
    rawClient(port, 'GET /aigw/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await eventually(() => stream.subscribers === 1);
    const stuck = responses[0]!;
    const reader = readingClient(port);
    await eventually(() => stream.subscribers === 2);

    // Events until the kernel's buffers are full and more than the cap waits in the stuck one's response.
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 2000 && !(stuck.writableLength > stream.maxPendingBytes); i++) {
      bus.publish(reload(big));
      await turn();
    }
    expect(stuck.writableLength).toBeGreaterThan(stream.maxPendingBytes);

    // Events go on for three times the bound: the stuck subscriber goes, the reader stays and gets them.
    const until = performance.now() + 3 * stream.maxStallMs;
    let n = 0;
    while (performance.now() < until) {
      bus.publish(reload(`tick-${n++}`));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stream.dropped).toBeGreaterThan(0);
    expect(stream.subscribers).toBe(1);
    expect(stuck.destroyed).toBe(true);
    await eventually(() => reader().includes(`tick-${n - 1}`));
  }, 30_000);

  it('whose head is a HEAD takes no place: answered the stream head alone, and 64 of them keep nobody out', async () => {
    const stream = new EventStream(new EventBus());
    streams.push(stream);
    const { port } = await eventsServer(stream);
    const heads = Array.from({ length: MAX_SUBSCRIBERS }, () => {
      const c = connect(port, '127.0.0.1');
      let text = '';
      c.on('error', () => {});
      c.on('data', (d: Buffer) => (text += d.toString('latin1')));
      c.write('HEAD /aigw/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      sockets.push(c);
      return () => text;
    });
    await eventually(() => heads.every((h) => /^HTTP\/1\.1 200 /.test(h())), 5000);
    expect(heads[0]!()).toContain('content-type: text/event-stream');
    expect(stream.subscribers).toBe(0);
    // `aigw top` still gets its stream.
    const top = readingClient(port);
    await eventually(() => top().includes(': aigw events'));
    expect(top()).toMatch(/^HTTP\/1\.1 200 /);
  }, 30_000);

  it('subscribing with another method is 405, naming the ones allowed', async () => {
    const stream = new EventStream(new EventBus());
    streams.push(stream);
    const { port } = await eventsServer(stream);
    const c = connect(port, '127.0.0.1');
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString('latin1')));
    c.write('OPTIONS /aigw/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    sockets.push(c);
    await eventually(() => text.includes('method_not_allowed'), 5000);
    expect(text).toMatch(/^HTTP\/1\.1 405 /);
    expect(text.toLowerCase()).toContain('allow: get, head');
    expect(stream.subscribers).toBe(0);
  });
});
