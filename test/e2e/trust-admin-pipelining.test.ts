/**
 * The admin listener answers pipelined requests in order (node:http), and a response queued behind another keeps its
 * whole body until its turn: behind an /aigw/events stream — whose turn never ends — forever. node:http stops reading
 * a connection once its queued bodies pass 16 KiB, but only after the chunk it is parsing: one 60 KB write of 2,000
 * requests behind a stream rendered /metrics and /aigw/stats 1,522 times at once on the gateway's event loop, and every
 * body was held for as long as the connection stayed open. The gateway's own listener closes a connection with more
 * than MAX_PIPELINED waiting (gateway-client-faults.test.ts); the admin listener waited for all.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_ADMIN_PIPELINED } from '../../src/observe/admin-server.js';
import { eventually, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);
const admin = new URL(gw.adminUrl);

/** How many times the admin listener rendered a body, while `run` goes on. */
async function rendersDuring(run: () => Promise<unknown>): Promise<{ metrics: number; stats: number }> {
  const { metrics, stats } = gw.admin;
  const render = metrics.render;
  const snapshot = stats.snapshot;
  const count = { metrics: 0, stats: 0 };
  metrics.render = () => {
    count.metrics++;
    return render.call(metrics);
  };
  stats.snapshot = () => {
    count.stats++;
    return snapshot.call(stats);
  };
  try {
    await run();
  } finally {
    metrics.render = render;
    stats.snapshot = snapshot;
  }
  return count;
}

/** Writes `head` then `pipelined` on one connection, reads what comes, and says whether the server closed it. */
function pipeline(head: string, pipelined: string, waitMs: number): Promise<{ closedByServer: boolean; text: string }> {
  return new Promise((resolve) => {
    let text = '';
    let closedByServer = false;
    const s = connect(Number(admin.port), '127.0.0.1', () => s.write(head + pipelined));
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      closedByServer = true;
    });
    setTimeout(() => {
      s.destroy();
      resolve({ closedByServer, text });
    }, waitMs);
  });
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

describe('requests pipelined on one admin connection', () => {
  it('behind an event stream: a few wait their turn, more close the connection — /metrics is not rendered 2,000 times', async () => {
    let r: { closedByServer: boolean; text: string } | undefined;
    const count = await rendersDuring(async () => {
      r = await pipeline(GET('/aigw/events'), GET('/metrics').repeat(1000) + GET('/aigw/stats').repeat(1000), 1500);
    });
    expect(count.metrics + count.stats).toBeLessThanOrEqual(MAX_ADMIN_PIPELINED);
    expect(r!.closedByServer).toBe(true);
    // The listener still answers others.
    expect((await fetch(`${gw.adminUrl}/metrics`)).status).toBe(200);
  });

  it('without a stream too: 2,000 /metrics in one write are not each rendered and held while they wait their turn', async () => {
    let r: { closedByServer: boolean; text: string } | undefined;
    const count = await rendersDuring(async () => {
      r = await pipeline(GET('/metrics'), GET('/metrics').repeat(2000), 1500);
    });
    expect(count.metrics).toBeLessThanOrEqual(MAX_ADMIN_PIPELINED + 1);
    expect(r!.closedByServer).toBe(true);
  });

  it('behind an event stream, those that wait their turn are not rendered: it never comes, and each body was held', async () => {
    // A subscriber that reads its stream is never cut, so what waited behind it — rendered at once, bodies and all — was
    // kept for as long as it read: 16 /metrics per connection, on each of the listener's connections.
    let arrived = 0;
    const onRequest = () => arrived++;
    gw.admin.server.on('request', onRequest);
    try {
      const count = await rendersDuring(async () => {
        let text = '';
        const s = connect(Number(admin.port), '127.0.0.1', () =>
          s.write(GET('/aigw/events') + GET('/metrics').repeat(MAX_ADMIN_PIPELINED)),
        );
        s.on('data', (d) => (text += d.toString('latin1')));
        s.on('error', () => {});
        try {
          await eventually(() => arrived === MAX_ADMIN_PIPELINED + 1 && text.includes(': aigw events'));
        } finally {
          s.destroy();
        }
      });
      // Before: 16.
      expect(count.metrics).toBe(0);
    } finally {
      gw.admin.server.off('request', onRequest);
    }
  });

  it('a client that pipelines a handful (within the bound) gets every answer, in order', async () => {
    const n = Math.min(4, MAX_ADMIN_PIPELINED);
    const r = await pipeline(GET('/healthz'), GET('/healthz').repeat(n), 500);
    expect(r.text.match(/HTTP\/1.1 200/g)).toHaveLength(n + 1);
  });

  it('answers queued /metrics and /aigw/stats at their turn, each whole', async () => {
    let text = '';
    const s = connect(Number(admin.port), '127.0.0.1', () => s.write(GET('/metrics') + GET('/aigw/stats') + GET('/metrics')));
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => {});
    try {
      await eventually(
        () =>
          (text.match(/HTTP\/1.1 200/g) ?? []).length === 3 &&
          text.includes('"models"') &&
          (text.match(/^aigw_inflight_requests \d+$/gm) ?? []).length === 2,
      );
    } finally {
      s.destroy();
    }
  });
});
