/**
 * `aigw serve --tui` where the TUI cannot run, or can no longer (lifecycle review). The TUI reads keys from stdin in
 * raw mode; with stdout a terminal and stdin not one (`< /dev/null`, a pipe, a supervisor's null input) Ink threw 'Raw
 * mode is not supported' right after the ready lines, and serve went down with it — exit 1, 'unexpected failure',
 * nothing drained — where it says it falls back to log lines when the TUI cannot be shown. And a terminal closed under
 * the TUI (a window closed, an ssh session dropped) failed Ink's next frame with EIO, an 'error' on process.stdout
 * nobody heard: the gateway died at once, a stream in flight cut without its end. It now stops as when its user quits
 * it, drained. (Node 20 then aborts in its own exit, restoring the terminal it can no longer reach: nodejs/node#51519.)
 * The process runs in a tmux pane (stdout a terminal) from a script that records its pid and exit code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { eventually } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { hasTmux } from '../helpers/tui.js';
import { rawPost } from '../helpers/raw.js';

interface InPane {
  dir: string;
  gateway: string;
  admin: string;
  /** The exit code once the process has exited, else undefined. */
  code(): number | undefined;
  pid(): number;
  stderr(): string;
}

/**
 * `aigw serve --mocks --tui` in a tmux pane, its stdin redirected as `stdin` says (a shell redirection: a command the
 * shell starts in the background reads /dev/null unless told otherwise).
 */
async function serveInPane(session: string, stdin: string, drain: string): Promise<InPane> {
  const cleanupAfter = cleanupScope();
  const dir = mkdtempSync(join(tmpdir(), 'aigw-tui-'));
  const [gw, admin, mock] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'profile.yaml'),
    `version: 1
listen: 127.0.0.1:${gw}
admin: { listen: 127.0.0.1:${admin} }
timeouts: { drain: ${drain} }
backends:
  v: { url: http://127.0.0.1:${mock}, mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 0 } }
models:
  m: { targets: [{ backend: v }] }
`,
  );
  writeFileSync(
    join(dir, 'run.sh'),
    `env -u CI "${process.execPath}" "${AIGW}" serve -c "${dir}/profile.yaml" --mocks --tui ${stdin} 2>"${dir}/stderr" &
echo $! > "${dir}/pid"
wait $!
echo $? > "${dir}/code"
sleep 120
`,
  );
  spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', `sh ${dir}/run.sh`]);
  const pane: InPane = {
    dir,
    gateway: `http://127.0.0.1:${gw}`,
    admin: `http://127.0.0.1:${admin}`,
    code: () => (existsSync(join(dir, 'code')) ? Number(readFileSync(join(dir, 'code'), 'utf8').trim()) : undefined),
    pid: () => Number(readFileSync(join(dir, 'pid'), 'utf8').trim()),
    stderr: () => (existsSync(join(dir, 'stderr')) ? readFileSync(join(dir, 'stderr'), 'utf8') : ''),
  };
  cleanupAfter(() => {
    if (pane.code() === undefined && existsSync(join(dir, 'pid'))) {
      try {
        process.kill(pane.pid(), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    spawnSync('tmux', ['kill-session', '-t', session]);
  });
  return pane;
}

/** Whether process `pid` is still there. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `url` answers 200 now. */
const answers = async (url: string) => (await fetch(url).catch(() => undefined))?.status === 200;

describe.skipIf(!hasTmux)('serve --tui without a terminal to read keys from', () => {
  it('stdin not a terminal: log lines instead of the TUI, the gateway serves, SIGTERM exits 0', async () => {
    const pane = await serveInPane(`aigw-tui-stdin-${process.pid}`, '< /dev/null', '300ms');
    await eventually(async () => pane.code() !== undefined || (await answers(`${pane.admin}/healthz`)), 20_000);
    // Ink fails as it mounts: a moment for it to have done so.
    await new Promise((r) => setTimeout(r, 1500));
    expect(pane.code(), pane.stderr()).toBeUndefined();
    const chat = await fetch(`${pane.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    expect(chat.status).toBe(200);
    expect(pane.stderr()).toContain('--tui needs a terminal');
    expect(pane.stderr()).not.toContain('unexpected failure');
    process.kill(pane.pid(), 'SIGTERM');
    await eventually(() => pane.code() !== undefined, 10_000);
    expect(pane.code()).toBe(0);
  }, 60_000);

  it('the terminal closed while the TUI shows: drained as when the user quits — the stream in flight completes, then it exits', async () => {
    const pane = await serveInPane(`aigw-tui-hangup-${process.pid}`, '< /dev/tty', '10s');
    await eventually(async () => pane.code() !== undefined || (await answers(`${pane.admin}/healthz`)), 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(pane.code(), pane.stderr()).toBeUndefined();
    const pid = pane.pid();
    // 40 tokens at 20 a second: under way when the terminal goes, and done well within the drain's 10 s.
    let started: () => void = () => {};
    const under = new Promise<void>((r) => (started = r));
    const stream = rawPost(
      `${pane.gateway}/v1/chat/completions`,
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 40, stream: true },
      { headers: { 'x-mock-tps': '20' }, onChunk: () => started() },
    );
    await under;
    spawnSync('tmux', ['kill-session', '-t', `aigw-tui-hangup-${process.pid}`]);
    const s = await stream;
    expect(s.ended).toBe('complete');
    expect(s.body.toString()).toContain('data: [DONE]');
    // Gone, not serving on with nobody to see it.
    await eventually(() => !alive(pid), 15_000);
  }, 60_000);
});
