/**
 * `aigw serve --tui` writing to stderr while the TUI is shown: a refused reload's problems, as a limits store, a
 * collector or a failing accept write theirs. Written past Ink, the lines moved the cursor under its frame: the next
 * redraw erased them (the operator never read why the reload was refused) and left the top of the frame before on the
 * screen, a second header above the live one. They now go above the frame, which is drawn whole below them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { eventually } from '../helpers/gateway.js';
import { replaceWhole } from '../helpers/reload.js';
import { hasTmux, paneAtRest } from '../helpers/tui.js';

const PROFILE = `version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
timeouts: { drain: 300ms }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`;

describe.skipIf(!hasTmux)('serve --tui and what the gateway writes to stderr', () => {
  it('shows a refused reload’s problems above the frame, and the frame once, whole', async () => {
    const cleanupAfter = cleanupScope();
    const session = `aigw-tui-stderr-${process.pid}`;
    const file = join(mkdtempSync(join(tmpdir(), 'aigw-tui-stderr-')), 'profile.yaml');
    writeFileSync(file, PROFILE);
    // stderr is the pane, as for a person who ran it; Ink renders only a final frame when CI is set.
    spawnSync('tmux', [
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '45',
      `env -u CI ${process.execPath} ${AIGW} serve -c ${file} --mocks --tui`,
    ]);
    cleanupAfter(() => spawnSync('tmux', ['kill-session', '-t', session]));
    const screen = () => paneAtRest(session);
    await eventually(() => screen().includes('● connected') && /m 0 requests/.test(screen()), 20_000);

    // A profile the reload refuses, with a key it names (the file's change reloads it; written whole, so one reload).
    replaceWhole(file, `${PROFILE}bogus: 1\n`);
    await eventually(() => /reload REJECTED/.test(screen()) && /unknown key "bogus"/.test(screen()), 20_000);
    const shown = screen();
    expect(shown).toMatch(/aigw: reload refused: .*bogus: unknown key "bogus"/);
    // One header: no part of an earlier frame left above the one drawn now.
    expect(shown.split('\n').filter((l) => l.includes(' aigw top '))).toHaveLength(1);
    expect(shown.indexOf('aigw: reload refused')).toBeLessThan(shown.indexOf(' aigw top '));

    execFileSync('tmux', ['send-keys', '-t', session, 'q']);
    await eventually(() => spawnSync('tmux', ['has-session', '-t', session]).status !== 0, 10_000);
  }, 60_000);
});
