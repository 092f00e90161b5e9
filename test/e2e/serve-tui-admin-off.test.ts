/**
 * `aigw serve --tui` on a terminal with a profile whose admin listener is off (`admin: { enabled: false }`): the TUI
 * reads that listener, so it cannot be shown — and the request log was turned off all the same, for the TUI it would
 * have been. The gateway said "showing log lines instead" and showed none: its requests went by unseen. The log is on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { eventually } from '../helpers/gateway.js';
import { hasTmux } from '../helpers/tui.js';

const PROFILE = `version: 1
listen: 127.0.0.1:0
admin: { enabled: false }
timeouts: { drain: 300ms }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`;

describe.skipIf(!hasTmux)('serve --tui with the admin listener off', () => {
  it('shows the log lines it says it shows', async () => {
    const cleanupAfter = cleanupScope();
    const session = `aigw-tui-admin-off-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'aigw-tui-admin-off-'));
    const file = join(dir, 'profile.yaml');
    const pidFile = join(dir, 'pid');
    writeFileSync(file, PROFILE);
    spawnSync('tmux', [
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '160',
      '-y',
      '30',
      // Its pid kept: closing the session hangs the terminal up, and SIGHUP is serve's reload — the gateway lived on.
      `echo $$ > ${pidFile}; exec env -u CI ${process.execPath} ${AIGW} serve -c ${file} --mocks --tui`,
    ]);
    cleanupAfter(() => {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {}
      spawnSync('tmux', ['kill-session', '-t', session]);
    });
    const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', session], { encoding: 'utf8' });
    // The ready line is whole once the line written after it is there (a capture can land inside a write).
    await eventually(() => /showing log lines instead/.test(screen()), 20_000);
    const url = /gateway listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(screen())?.[1];
    expect(url).toBeDefined();

    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'seen-in-the-log' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    expect(r.status).toBe(200);
    await r.text();
    await eventually(() => /200 chat m → v .*seen-in-the-log/.test(screen()), 10_000);
  }, 60_000);
});
