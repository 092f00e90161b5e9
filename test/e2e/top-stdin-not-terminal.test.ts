/**
 * `aigw top` with stdout a terminal and stdin not one (`< /dev/null`, a pipe, a script's null input). The live view
 * reads its keys from stdin in raw mode: Ink threw 'Raw mode is not supported' as it mounted, and top exited 1 with
 * `unexpected failure` after Ink's error screen. It prints the plain lines instead, and stops on SIGTERM with exit 0.
 * The process runs in a tmux pane (stdout a terminal) from a script that records its pid and exit code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { eventually } from '../helpers/gateway.js';
import { hasTmux, paneAtRest } from '../helpers/tui.js';

describe.skipIf(!hasTmux)('aigw top with stdin not a terminal', () => {
  it('prints plain lines on the terminal instead of failing, and SIGTERM exits 0', async () => {
    const cleanupAfter = cleanupScope();
    const server = createServer((req, res) => {
      if (req.url === '/aigw/events') return void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': hi\n\n');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ts: Date.now(),
          windowMs: 60_000,
          inflight: 0,
          models: { 'stdin-less': { requests: 0, backends: {} } },
          tenants: {},
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanupAfter(() => {
      server.closeAllConnections();
      server.close();
    });
    const admin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'aigw-top-stdin-'));
    writeFileSync(
      join(dir, 'run.sh'),
      `env -u CI "${process.execPath}" "${AIGW}" top --admin ${admin} < /dev/null 2>"${dir}/stderr" &
echo $! > "${dir}/pid"
wait $!
echo $? > "${dir}/code"
sleep 120
`,
    );
    const session = `aigw-top-stdin-${process.pid}`;
    const code = () => (existsSync(join(dir, 'code')) ? Number(readFileSync(join(dir, 'code'), 'utf8').trim()) : undefined);
    const pid = () => Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    const stderr = () => (existsSync(join(dir, 'stderr')) ? readFileSync(join(dir, 'stderr'), 'utf8') : '');
    spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', `sh ${dir}/run.sh`]);
    cleanupAfter(() => {
      if (code() === undefined && existsSync(join(dir, 'pid'))) {
        try {
          process.kill(pid(), 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      spawnSync('tmux', ['kill-session', '-t', session]);
    });
    await eventually(() => code() !== undefined || /connected .*stdin-less/s.test(paneAtRest(session)), 20_000);
    expect(code(), stderr()).toBeUndefined();
    expect(stderr()).toContain('printing plain lines instead');
    expect(stderr()).not.toContain('unexpected failure');
    process.kill(pid(), 'SIGTERM');
    await eventually(() => code() !== undefined, 10_000);
    expect(code()).toBe(0);
  }, 60_000);
});
