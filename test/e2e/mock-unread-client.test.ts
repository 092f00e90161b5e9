/**
 * A client that sends a request and never reads holds a mock connection for a bounded time only (the mock's
 * clientStallMs, as the gateway's timeouts.clientStall): a stream or a large answer waited on it with no limit, so a
 * few such clients took every place of mock.maxConnections and the mock served no one else.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { faultDue, Sender } from '../../src/mock/respond-completion.js';
import { MockStats } from '../../src/mock/stats.js';
import { useMock } from '../helpers/mocks.js';

const held: Socket[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const s of held) s.destroy();
  for (const s of servers) s.close();
});

/** Sends `body` to `path` on a connection it never reads from; resolves once the request is written. */
function sendAndNeverRead(url: string, path: string, body: unknown): Promise<void> {
  const { hostname, port } = new URL(url);
  const json = JSON.stringify(body);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
        () => resolve(),
      );
    });
    socket.on('error', () => {});
    held.push(socket);
  });
}

/** Whether the mock serves a new connection (with maxConnections taken, it closes one as it accepts it). */
function served(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let got = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) done(got.startsWith('HTTP/1.1 200'));
    });
    socket.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n');
  });
}

describe('a client that never reads', () => {
  it('of a stream: its connection is cut after the stall window, and the places it held serve others', async () => {
    const mock = await useMock({ name: 'stalled', kind: 'vllm', maxConnections: 2, clientStallMs: 200 });
    // 100,000 tokens: ~20 MB of events, far past what the sockets' buffers take.
    const body = { model: 'm', messages: [{ role: 'user', content: 'go' }], max_tokens: 100_000, stream: true };
    await sendAndNeverRead(mock.url, '/v1/chat/completions', body);
    await sendAndNeverRead(mock.url, '/v1/chat/completions', body);
    // Both places are taken (the stats route is out of reach too): read the mock's own count.
    await eventually(() => mock.context.stats.aborted === 2, 5000);
    expect(await served(mock.url)).toBe(true);
  });

  it('of a large embedding answer: cut once its bytes wait unread', async () => {
    const tei = await useMock({ name: 'stalled-tei', kind: 'tei', maxConnections: 1, clientStallMs: 100, dimensions: 16_384 });
    // 32 × 16,384 floats as JSON: ~11 MB, answered whole with one end().
    const input = Array.from({ length: 32 }, (_, i) => `text ${i}`);
    await sendAndNeverRead(tei.url, '/v1/embeddings', { model: 'e', input, encoding_format: 'float' });
    expect(await served(tei.url)).toBe(false);
    await eventually(() => served(tei.url), 5000);
  });
});

describe('close-after with bytes the client has not taken', () => {
  it('closes the connection within the stall window (destroySoon waited for the unread bytes for good)', async () => {
    let serverSocket: Socket | undefined;
    const server: Server = createServer((_req, res) => {
      serverSocket = res.socket!;
      const s = new Sender(res, new MockStats(), 100);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // 32 MiB written at once: most of it waits in the socket's queue, past what the kernel's buffers take.
      res.write(Buffer.alloc(32 * 1024 * 1024));
      void faultDue({ kind: 'close-after', tokens: 0 }, s, '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    const client = connect(port, '127.0.0.1');
    client.on('error', () => {});
    held.push(client);
    client.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await eventually(() => serverSocket !== undefined, 5000);
    await eventually(() => serverSocket!.destroyed, 5000);
  });
});
