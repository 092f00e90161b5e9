/** Shared steps of the e2e tests that reload a running `aigw serve` onto a replaced profile file (SIGHUP). */
import { renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type Running, startAigw } from './cli.js';

/** A profile that validates and serves: one model on one backend (never called). */
export const MINIMAL_PROFILE = `version: 1
backends:
  b: { url: "http://127.0.0.1:9" }
models:
  m: { targets: [{ backend: b }] }
`;

/** Replaces `file` whole (written beside it, then renamed, as a deploy does): the profile watcher must not read it half-written. */
export function replaceWhole(file: string, text: string | Uint8Array): void {
  writeFileSync(`${file}.next`, text);
  renameSync(`${file}.next`, file);
}

/** The data of the next `reload` event on the admin's event stream. */
export function nextReloadEvent(admin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${admin}/aigw/events`, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        const at = buf.indexOf('event: reload\n');
        const end = at < 0 ? -1 : buf.indexOf('\n\n', at);
        if (end < 0) return;
        req.destroy();
        resolve(buf.slice(at, end));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Replaces `gw`'s profile `file` by `text`, sends SIGHUP, and gives the data of the `reload` event that follows. */
export async function reloadEventFor(gw: Running, file: string, text: string): Promise<string> {
  const event = nextReloadEvent(gw.urls.admin!);
  // The subscription is open before the file changes (a refused reload is one event, not replayed here).
  await new Promise((r) => setTimeout(r, 300));
  replaceWhole(file, text);
  gw.child.kill('SIGHUP');
  return event;
}

/**
 * Starts `aigw serve` on `file` (with `env`), replaces the file by `text` and sends SIGHUP, then waits — up to 30 s —
 * until stderr says the reload was refused or the process is gone. `gone` says whether it is.
 */
export async function serveThenReloadOnto(
  file: string,
  text: string,
  env: Record<string, string>,
): Promise<{ gw: Running; gone: () => boolean }> {
  const gw = await startAigw(['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 2, env);
  replaceWhole(file, text);
  gw.child.kill('SIGHUP');
  const deadline = Date.now() + 30_000;
  const gone = () => gw.child.exitCode !== null || gw.child.signalCode !== null;
  while (Date.now() < deadline && !gone() && !/reload refused/.test(gw.stderr())) await new Promise((r) => setTimeout(r, 100));
  return { gw, gone };
}
