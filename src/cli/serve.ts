/**
 * `aigw serve`: the composition root of the gateway — profile, optional in-process mocks, the gateway and
 * admin listeners, logs, reload on SIGHUP or file change, and a bounded drain on SIGINT/SIGTERM.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { EventBus } from '../events/bus.js';
import { startGateway, listen } from '../gateway/server.js';
import { startMock, type RunningMock } from '../mock/server.js';
import { createAdmin } from '../observe/admin.js';
import { attachRequestLog, type LogFormat } from '../observe/request-log.js';
import { loadProfileFile } from '../profile/load.js';
import { formatProblem } from '../profile/problems.js';
import type { Profile } from '../profile/schema.js';
import { mocksOfProfile, withBackendUrls } from './mock-settings.js';
import { CliError, exitCodes } from './run.js';

/** The TUI in this process, on the admin listener's own endpoints; resolves when the user quits. */
async function startTui(adminUrl: string, key: string | undefined): Promise<{ done: Promise<unknown> }> {
  const [{ render }, { createElement }, { App }] = await Promise.all([import('ink'), import('react'), import('../tui/app.js')]);
  return { done: render(createElement(App, { admin: adminUrl, adminKey: key })).waitUntilExit() };
}

interface Options {
  config: string;
  listen?: string;
  admin?: string;
  mocks?: boolean;
  tui?: boolean;
  log: LogFormat;
}

export async function run(opts: Options): Promise<number> {
  const loaded = await loadProfileFile(opts.config);
  if (!loaded.ok) {
    for (const p of loaded.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return exitCodes.usage;
  }
  for (const w of loaded.warnings) process.stderr.write(`${formatProblem(w)}\n`);

  const mocks: RunningMock[] = [];
  const mockUrls = new Map<string, string>();
  if (opts.mocks) {
    for (const planned of mocksOfProfile(loaded.profile)) {
      const mock = await startMock(planned.settings, planned.port, planned.host).catch((e: Error) => {
        throw new CliError(`cannot start mock ${planned.settings.name}: ${e.message}`);
      });
      mocks.push(mock);
      mockUrls.set(mock.name, mock.url);
      process.stdout.write(`mock ${mock.name} (${mock.kind}) listening on ${mock.url}\n`);
    }
  }
  const effective = (p: Profile): Profile => (mockUrls.size ? withBackendUrls(p, mockUrls) : p);

  const bus = new EventBus();
  const profile = effective(loaded.profile);
  const gateway = await startGateway(profile, bus, opts.listen ?? profile.listen).catch((e: Error) => {
    throw new CliError(`cannot listen on ${opts.listen ?? profile.listen}: ${e.message}`);
  });
  process.stdout.write(`gateway listening on ${gateway.url}\n`);
  const admin = profile.admin.enabled
    ? createAdmin({ runtime: () => gateway.state.runtime, bus, inflight: () => gateway.state.inflight }, profile.admin.key)
    : undefined;
  const adminUrl = admin
    ? await listen(admin.server, opts.admin ?? profile.admin.listen).catch((e: Error) => {
        throw new CliError(`cannot listen on ${opts.admin ?? profile.admin.listen}: ${e.message}`);
      })
    : undefined;
  if (adminUrl) process.stdout.write(`admin listening on ${adminUrl}\n`);
  const tui = opts.tui && process.stdout.isTTY && adminUrl ? await startTui(adminUrl, profile.admin.key) : undefined;
  if (opts.tui && !tui) process.stderr.write('aigw: --tui needs a terminal; showing log lines instead\n');
  if (!tui) attachRequestLog(bus, opts.log);

  let lastText = '';
  const reload = async (why: string) => {
    const r = await loadProfileFile(opts.config);
    if (!r.ok) {
      for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
      bus.publish({
        type: 'reload',
        ts: Date.now(),
        ok: false,
        message: `${why}: ${r.problems.length} problem(s); the previous profile keeps serving: ${r.problems.map(formatProblem).join('; ')}`,
      });
      return;
    }
    gateway.reload(effective(r.profile));
    bus.publish({ type: 'reload', ts: Date.now(), ok: true, message: `${why}: ${Object.keys(r.profile.models).length} models` });
  };
  process.on('SIGHUP', () => void reload('SIGHUP'));
  watchFile(opts.config, { interval: 250 }, (cur, prev) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
    void readFile(opts.config, 'utf8').then(
      (text) => {
        if (text === lastText) return;
        lastText = text;
        return reload('file changed');
      },
      () => {},
    );
  });
  lastText = await readFile(opts.config, 'utf8').catch(() => '');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    void tui?.done.then(() => resolve());
  });
  unwatchFile(opts.config);
  await gateway.drain(gateway.state.runtime.profile.timeouts.drain);
  admin?.close();
  await Promise.all(mocks.map((m) => m.close()));
  return exitCodes.ok;
}
