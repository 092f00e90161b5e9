/**
 * `aigw top` in a real pseudo-terminal (tmux) against an admin listener with thousands of models: it draws
 * what fits and obeys `q` at once. Drawn whole, 2,000 models kept `q` waiting ~5 s at 100% CPU (15,000: over
 * 50 s, 1.5 GB). Serial: timing under full-suite load would be noise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { backendStats, hasTmux, paneAtRest, topInTmux } from '../helpers/tui.js';

const SESSION = `aigw-top-many-${process.pid}`;
const screen = () => paneAtRest(SESSION);
const MODELS = 3000;

describe.skipIf(!hasTmux)('aigw top with thousands of models', () => {
  it('shows the first models and how many more, and quits on q within a second or two', async () => {
    let tick = 0;
    const server = createServer((req, res) => {
      if (req.url === '/aigw/events') return void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': hi\n\n');
      if (req.url !== '/aigw/stats') return void res.writeHead(404).end();
      // Counters move on every poll, so every snapshot is a new frame to draw.
      tick++;
      const models: Record<string, unknown> = {};
      for (let i = 0; i < MODELS; i++) models[`m${i}`] = { requests: tick, backends: { a: backendStats(tick), b: backendStats(tick) } };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ts: Date.now(), windowMs: 60_000, inflight: 0, models, tenants: {}, refusals: [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      topInTmux(SESSION, url, 120, 40);
      await eventually(() => /m\d+ \d+ requests/.test(screen()), 60_000);
      const shown = screen();
      // Let a few snapshots arrive, as they would while someone reads the screen, then quit.
      await new Promise((r) => setTimeout(r, 1000));
      const pressed = Date.now();
      execFileSync('tmux', ['send-keys', '-t', SESSION, 'q']);
      await eventually(() => spawnSync('tmux', ['has-session', '-t', SESSION]).status !== 0, 90_000);
      // ~0.3 s here; drawn whole, tens of seconds.
      expect(Date.now() - pressed).toBeLessThan(2500);
      expect(shown).toMatch(/m0 \d+ requests/);
      expect(shown).toMatch(/…and \d+ more models, \d+ more backends/);
      expect(shown).not.toContain(`m${MODELS - 1} `);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', SESSION]);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 150_000);
});
