/**
 * `aigw serve --tui` across a reload that rotates `admin.key` (attacker review). The TUI in the process read the key
 * once, at start: from the rotation on every poll of /aigw/stats was a 401 — the header said 'the admin listener wants
 * a key (--key or AIGW_ADMIN_KEY)', flags serve does not take — and the event stream the old key opened was ended (as
 * b58b289 has it) and every reconnect refused. The operator's view of the gateway was gone until a restart, for doing
 * what a leaked key calls for. It now reads the profile's key at each request. The process runs in a tmux pane.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { eventually } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { replaceWhole } from '../helpers/reload.js';
import { hasTmux, paneAtRest } from '../helpers/tui.js';

const session = `aigw-tui-rotate-${process.pid}`;

describe.skipIf(!hasTmux)('serve --tui when a reload rotates the admin key', () => {
  it('stays connected and goes on showing events', async () => {
    const cleanupAfter = cleanupScope();
    const dir = mkdtempSync(join(tmpdir(), 'aigw-tui-rotate-'));
    const [gw, admin, mock] = [await freePort(), await freePort(), await freePort()];
    const profile = (key: string) => `version: 1
listen: 127.0.0.1:${gw}
admin: { listen: 127.0.0.1:${admin}, key: ${key} }
backends:
  v: { url: http://127.0.0.1:${mock}, mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 0 } }
models:
  m: { targets: [{ backend: v }] }
`;
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile('first-admin-key-aaaa'));
    spawnSync('tmux', [
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '140',
      '-y',
      '45',
      `sh -c 'echo $$ > "${dir}/pid"; exec env -u CI "${process.execPath}" "${AIGW}" serve -c "${file}" --mocks --tui 2>"${dir}/stderr"'; sleep 60`,
    ]);
    cleanupAfter(() => {
      // The pane's end alone leaves the gateway draining on: it is stopped by its pid.
      try {
        process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8')), 'SIGKILL');
      } catch {
        // Not started, or gone already.
      }
      spawnSync('tmux', ['kill-session', '-t', session]);
    });
    const screen = () => paneAtRest(session);
    const adminOk = (key: string) =>
      fetch(`http://127.0.0.1:${admin}/aigw/stats`, { headers: { authorization: `Bearer ${key}` } }).then(
        (r) => r.status === 200,
        () => false,
      );
    const refuse = (model: string) =>
      fetch(`http://127.0.0.1:${gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      }).then((r) => r.status);

    await eventually(() => adminOk('first-admin-key-aaaa'), 20_000);
    expect(await refuse('before-rotation')).toBe(404);
    await eventually(() => /● connected/.test(screen()) && /before-rotation 404/.test(screen()), 20_000);

    replaceWhole(file, profile('second-admin-key-bbbb'));
    await eventually(() => adminOk('second-admin-key-bbbb'), 20_000);
    expect(await refuse('after-rotation')).toBe(404);
    await eventually(() => /after-rotation 404/.test(screen()), 20_000).catch(() => {});
    const shown = screen();
    expect(shown).not.toContain('wants a key');
    expect(shown).toMatch(/● connected/);
    expect(shown).toMatch(/after-rotation 404/);
  }, 90_000);
});
