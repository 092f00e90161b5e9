/**
 * A mock holds a bounded number of connections (`mock.maxConnections`; by default, as `aigw mock-backends` and
 * `serve --mocks` start it, half the open-file limit, as the gateway's listener): it held every connection a client
 * opened, so a load — or anyone who reached its port — took descriptors until none was left, and under `serve --mocks`
 * the gateway's in the same process with them. One more is closed as it is accepted; the connections open are served.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { MockSchema } from '../../src/profile/schema.js';
import { adHocMocks, mocksOfProfile } from '../../src/cli/mock-settings.js';
import { processConnectionCap } from '../../src/gateway/connection-cap.js';
import { parseProfile } from '../../src/profile/load.js';
import { useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'capped', kind: 'vllm', maxConnections: 2 });
const { hostname, port } = new URL(mock.url);
const held: Socket[] = [];
afterAll(() => {
  for (const s of held) s.destroy();
});

/** A connection, and whether the mock answers a request on it (false: it was closed as it was accepted). */
function tryConnection(): Promise<{ socket: Socket; served: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    held.push(socket);
    let got = '';
    socket.on('error', () => resolve({ socket, served: false }));
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) resolve({ socket, served: got.startsWith('HTTP/1.1 200') });
    });
    socket.on('close', () => resolve({ socket, served: false }));
    socket.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n');
  });
}

describe('a mock holds at most maxConnections connections', () => {
  it('one more is closed as it is accepted, and the ones open are still served', async () => {
    expect((await tryConnection()).served).toBe(true);
    expect((await tryConnection()).served).toBe(true);
    expect((await tryConnection()).served).toBe(false);
    const again = await new Promise<string>((resolve) => {
      held[0]!.once('data', (d) => resolve(d.toString('latin1')));
      held[0]!.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    expect(again.startsWith('HTTP/1.1 200')).toBe(true);
  });

  it('is set in the profile as mock.maxConnections, a positive integer; by default half the open-file limit', () => {
    expect(MockSchema.safeParse({ kind: 'vllm', maxConnections: 0 }).success).toBe(false);
    const capOf = (mock: string) => {
      const r = parseProfile(
        `version: 1\nbackends:\n  v: { url: http://127.0.0.1:8001, mock: ${mock} }\nmodels:\n  m: { targets: [{ backend: v }] }\n`,
        'p.yaml',
        {},
      );
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return mocksOfProfile(r.profile)[0]!.settings.maxConnections;
    };
    expect(capOf('{ kind: vllm, maxConnections: 64 }')).toBe(64);
    expect(processConnectionCap()).toBeGreaterThan(0);
    expect(capOf('{ kind: vllm }')).toBe(processConnectionCap());
    expect(adHocMocks('vllm', ['a=0'], '127.0.0.1')[0]!.settings.maxConnections).toBe(processConnectionCap());
  });
});
