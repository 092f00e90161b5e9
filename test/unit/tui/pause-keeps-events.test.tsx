/**
 * `p` in the TUI holds the view still; what the gateway reports meanwhile is still read. The pause dropped every event
 * and snapshot that came while it held: a truncation during a pause never reached the log, once the view went on.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { eventually } from '../../helpers/eventually.js';
import { backendStats } from '../../helpers/tui.js';

const snapshot = () => ({
  ts: Date.now(),
  windowMs: 60_000,
  inflight: 0,
  models: { llama: { requests: 1, backends: { 'vllm-a': backendStats(1) } } },
  tenants: {},
  refusals: [],
});

const frame = (id: number, event: object) => `id: ${id}\nevent: x\ndata: ${JSON.stringify({ ts: Date.now(), ...event })}\n\n`;

let stop = async () => {};
afterEach(() => stop());

describe('the TUI paused', () => {
  it('shows, once it goes on, the events that came while it was paused', async () => {
    let events: ServerResponse | undefined;
    const server = createServer((req, res) => {
      if (req.url === '/aigw/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot()));
      if (req.url === '/aigw/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': hi\n\n');
        events = res;
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const admin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = render(<App admin={admin} width={120} />);
    stop = async () => {
      r.unmount();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    };
    await eventually(() => /● connected/.test(r.lastFrame() ?? '') && events !== undefined, 5000);

    r.stdin.write('p');
    await eventually(() => /PAUSED/.test(r.lastFrame() ?? ''), 2000);
    events!.write(frame(7, { type: 'truncation', model: 'llama', backend: 'vllm-a', reason: 'upstream_reset', bytesDelivered: 10 }));
    // An event too large to show, after it: counted in the header, which stays live, once the one before was read.
    events!.write(`id: 8\ndata: ${'x'.repeat(1100 * 1024)}\n\n`);
    await eventually(() => /1 event over 1 MiB not shown/.test(r.lastFrame() ?? ''), 5000);
    expect(r.lastFrame()).not.toMatch(/truncation\s+llama → vllm-a/);

    r.stdin.write('p');
    await eventually(() => !/PAUSED/.test(r.lastFrame() ?? ''), 2000);
    expect(r.lastFrame()).toMatch(/truncation\s+llama → vllm-a cut \(upstream_reset\)/);
  });
});
