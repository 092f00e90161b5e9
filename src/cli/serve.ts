/**
 * `aigw serve`: the stack (cli/stack.ts) from a profile — or Envoy AI Gateway manifests, read through
 * bridge/load.ts — with log lines or the live TUI, reload on SIGHUP or a change of the file, and a bounded
 * drain on SIGINT/SIGTERM.
 */
import { stat } from 'node:fs/promises';
import type { LogFormat } from '../observe/request-log.js';
import { loadProfileOrManifests } from '../bridge/load.js';
import { MAX_PROFILE_TEXT_BYTES, readSmallFile } from '../core/small-file.js';
import { formatProblem } from '../profile/problems.js';
import { watchProfile } from './profile-watch.js';
import { CliError, exitCodes } from './run.js';
import { hostPortProblem } from '../core/listen.js';
import { escapeControls } from '../core/printable.js';
import { loadOffLoop } from './reload-thread.js';
import { startStack } from './stack.js';
import { stopWithStdin } from '../core/stop-with-stdin.js';
import { printSkipped } from './validate.js';
import { HeldSignal } from './held-signal.js';
import { tuneV8ForServing } from '../core/v8-tuning.js';

/**
 * The TUI in this process, on the admin listener's own endpoints; resolves when the user quits. `key` is read at each
 * request: a reload that rotates admin.key locked a key read once at start out (401 on every poll, its stream ended).
 */
async function startTui(adminUrl: string, key: () => string | undefined): Promise<{ done: Promise<unknown> }> {
  const [{ render }, { createElement }, { App }, { StderrAbove }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../tui/app.js'),
    import('../tui/stderr-above.js'),
  ]);
  // The gateway's own warnings go above the frame, not into it (tui/stderr-above.ts).
  const app = createElement(StderrAbove, { stream: process.stderr }, createElement(App, { admin: adminUrl, adminKey: key }));
  return { done: render(app).waitUntilExit() };
}

interface Options {
  config: string;
  listen?: string;
  admin?: string;
  mocks?: boolean;
  mockAll?: boolean;
  tui?: boolean;
  log: LogFormat;
  /** SIGHUP, held since the command was chosen (main.ts): heard while the gateway loads, it reloads once it serves. */
  hup?: HeldSignal;
}

/** Problems a refused reload's event (the TUI, /aigw/events) names; stderr lists them all. */
const RELOAD_EVENT_PROBLEMS = 10;

export async function run(opts: Options): Promise<number> {
  // Before anything starts: a bad address is bad usage, not a listener's failure after the gateway (and its mocks) started.
  for (const [flag, value] of [
    ['--listen', opts.listen],
    ['--admin', opts.admin],
  ] as const) {
    const problem = value === undefined ? undefined : hostPortProblem(value);
    if (problem)
      throw new CliError(`${flag} expects ${problem}; got ${JSON.stringify(escapeControls(value!).slice(0, 100))}`, exitCodes.usage);
  }
  const hup = opts.hup ?? new HeldSignal('SIGHUP');
  tuneV8ForServing();
  // A stderr whose reader went away (`aigw serve 2>&1 | head`, a restarted log collector) fails the next warning's
  // write with EPIPE, an 'error' on process.stderr: with nobody listening, a refused reload or a store's flap took the
  // gateway down. There is nobody left to tell; it goes on serving (the request log's stdout: observe/line-batch.ts).
  process.stderr.on('error', () => {});
  // stdout likewise (`aigw serve --mocks | head -1`): the ready lines after the first went to a reader that had left,
  // before the request log (whose own listener drops its lines) was attached, or with --log off none at all. A TUI's
  // terminal that went away (closed: its writes fail with EIO) is its user gone: stopped as when they quit it.
  let tuiShown = false;
  process.stdout.on('error', () => {
    if (tuiShown) stopRequested();
  });
  const load = (bytes: Buffer | undefined) =>
    loadProfileOrManifests(opts.config, process.env, { mockAll: opts.mockAll === true, ...(bytes ? { bytes } : {}) });
  // A reload's, on a thread of its own (cli/reload-thread.ts): a large profile took the parser seconds, and every stream
  // in flight stopped for them.
  // It parses the bytes `reload` read and compared (BridgeOptions.bytes), not the file as it may be a moment later.
  const loadForReload = (bytes: Buffer | undefined) =>
    loadOffLoop(opts.config, process.env, { mockAll: opts.mockAll === true, ...(bytes ? { bytes } : {}) });
  // The file's text as last read for a load: a file change that leaves it equal reloads nothing. The load parses
  // these very bytes (BridgeOptions.bytes), so what is remembered is what was applied. Read as the load reads it
  // (a regular file, bounded): readFile opened a FIFO put at the path and waited for a writer — at start before the
  // first line, at a reload for good, and every reload after it waited behind that one.
  const readBytes = async () => {
    const bytes = await readSmallFile(opts.config, MAX_PROFILE_TEXT_BYTES);
    return Buffer.isBuffer(bytes) ? bytes : undefined;
  };
  // Compared byte for byte (latin1 maps each byte to one character): decoded as UTF-8, every byte that is not UTF-8
  // read as U+FFFD, and a UTF-16 profile (read after its byte-order mark) edited from `é` to `è` looked unchanged.
  const textOf = (bytes: Buffer | undefined) => bytes?.toString('latin1');
  const first = await readBytes();
  let seen = textOf(first);
  const loaded = await load(first);
  if (!loaded.ok) {
    for (const p of loaded.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return exitCodes.usage;
  }
  for (const w of loaded.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  printSkipped(loaded.skipped);
  // The profile's check (admin.listen cannot share the gateway's address) for the addresses the flags make: the gateway
  // printed its ready line and then the admin listener exited 1 on EADDRINUSE, where the same profile is exit 2 up front.
  const listenAt = opts.listen ?? loaded.profile.listen;
  const adminAt = opts.admin ?? loaded.profile.admin.listen;
  if (
    loaded.profile.admin.enabled &&
    (opts.listen !== undefined || opts.admin !== undefined) &&
    listenAt === adminAt &&
    !listenAt.endsWith(':0')
  )
    throw new CliError(
      `the admin listener cannot share the gateway's address ${JSON.stringify(listenAt)} (--listen, --admin)`,
      exitCodes.usage,
    );

  // Signals are heard from before the first ready line: a SIGTERM right after it still drains.
  let stopRequested!: () => void;
  const stopping = new Promise<void>((resolve) => (stopRequested = resolve));
  let signals = 0;
  const onStopSignal = (signal: NodeJS.Signals) => {
    if (signals++ === 0) return stopRequested();
    // A second signal while draining stops at once — through process.exit, so that the request log's pending
    // lines are still written (line-batch.ts), where the default action would kill the process without them.
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onStopSignal);
  process.on('SIGTERM', onStopSignal);
  const releaseStdin = stopWithStdin(() => stopRequested());

  // Its keys are read from stdin in raw mode: with stdout a terminal and stdin not one (`< /dev/null`, a pipe), Ink
  // threw 'Raw mode is not supported' as it mounted, and took the gateway down with it (exit 1, nothing drained).
  // And it reads the admin listener: with that off it is not shown, and the log lines it would have replaced are (they
  // were turned off for it all the same — "showing log lines instead", and none came).
  const wantTui = opts.tui === true && process.stdout.isTTY === true && process.stdin.isTTY === true && loaded.profile.admin.enabled;
  const stack = await startStack(loaded.profile, {
    listen: opts.listen,
    admin: opts.admin,
    mocks: opts.mocks === true || opts.mockAll === true,
    log: wantTui ? 'off' : opts.log,
    announce: (line) => process.stdout.write(`${line}\n`),
  });
  const tui = wantTui && stack.adminUrl ? await startTui(stack.adminUrl, () => stack.profile().admin.key) : undefined;
  tuiShown = tui !== undefined;
  // Its keyboard likewise: a closed terminal's reads fail with EIO too, and nobody listened for that error once Ink had
  // let stdin go — it took the gateway down with every stream in flight (CI, Node 22: serve-tui-terminal.test.ts's
  // stream cut, the process ended by an unhandled 'error' event, `read EIO`).
  if (tuiShown) process.stdin.on('error', () => stopRequested());
  if (opts.tui && !tui)
    process.stderr.write('aigw: --tui needs a terminal (stdin and stdout) and the admin listener; showing log lines instead\n');
  // A TUI that fails once shown stops the gateway as quitting it does — drained, exit 1 — rather than at once.
  let tuiFailed = false;
  const tuiDone = tui?.done.catch((e: unknown) => {
    tuiFailed = true;
    process.stderr.write(`aigw: the TUI stopped: ${String((e as Error)?.message ?? e).slice(0, 200)}; stopping\n`);
  });

  const refused = (why: string, problems: readonly string[]) => {
    for (const p of problems) process.stderr.write(`aigw: reload refused: ${p}\n`);
    const shown = problems.slice(0, RELOAD_EVENT_PROBLEMS).join('; ');
    const more = problems.length > RELOAD_EVENT_PROBLEMS ? `; and ${problems.length - RELOAD_EVENT_PROBLEMS} more` : '';
    const message = `${why}: ${problems.length} problem(s); the previous profile keeps serving: ${shown}${more}`;
    stack.bus.publish({ type: 'reload', ts: Date.now(), ok: false, message });
  };
  const reload = async (why: string) => {
    const bytes = await readBytes();
    const text = textOf(bytes);
    if (why === 'file changed' && text === seen) return;
    seen = text;
    const r = await loadForReload(bytes);
    // Refused, the text is not remembered: what refused it may lie outside it (a certificate file it names, not there
    // yet), and writing the same text again once that is fixed reloaded nothing, unsaid, until a SIGHUP.
    if (!r.ok) {
      seen = undefined;
      return refused(why, r.problems.map(formatProblem));
    }
    const applied = await stack.reload(r.profile);
    if (!applied.ok) {
      seen = undefined;
      return refused(why, applied.problems);
    }
    // As at start: the warnings of a profile applied by a reload were dropped — one that took admin.key off an admin
    // listener other machines reach, or fetched the JWT key set over plain http, was applied without a word.
    for (const w of r.warnings) process.stderr.write(`${formatProblem(w)}\n`);
    // And, as at start, the manifests' objects it did not read: a reload that added one aigw cannot serve (a route of a
    // kind it skips) was applied as "N models", the new object unsaid anywhere.
    printSkipped(r.skipped);
    const models = Object.keys(stack.profile().models).length;
    const skipped = r.skipped.length ? `, ${r.skipped.length} manifest objects skipped` : '';
    stack.bus.publish({ type: 'reload', ts: Date.now(), ok: true, message: `${why}: ${models} models${skipped}` });
  };
  // A reload that fails in a way no check foresaw is refused like any other: the gateway keeps serving.
  const reloadSafely = (why: string) =>
    reload(why).catch((e: unknown) => {
      seen = undefined;
      try {
        refused(why, [`the reload failed: ${String((e as Error)?.message ?? e).slice(0, 500)}`]);
      } catch {
        // Nothing left to tell: the previous profile serves.
      }
    });
  // One reload at a time. Triggers while one runs coalesce into one more after it, which reads the file as it
  // is then: the last profile written is the one served, however slow an earlier one was to build. A SIGHUP
  // among them forces that reload even if the text is what was last read. None starts once stopping.
  let reloading: Promise<void> | undefined;
  let again: string | undefined;
  let stopped = false;
  const requestReload = (why: string) => {
    if (stopped) return;
    if (reloading) {
      again = again === 'SIGHUP' ? again : why;
      return;
    }
    reloading = (async () => {
      for (let next: string | undefined = why; next !== undefined && !stopped; ) {
        again = undefined;
        await reloadSafely(next);
        next = again;
      }
    })().finally(() => (reloading = undefined));
  };
  hup.handTo(() => requestReload('SIGHUP'));
  // A profile file is watched; a directory of manifests reloads on SIGHUP.
  const isFile = await stat(opts.config).then(
    (s) => s.isFile(),
    () => false,
  );
  const fileChanged = () => requestReload('file changed');
  const unwatch = isFile ? watchProfile(opts.config, fileChanged) : () => {};
  // A write between the first load and the watcher's first look is caught here; any later one, by the watcher.
  if (isFile) fileChanged();

  await Promise.race([stopping, tuiDone ?? new Promise<never>(() => {})]);
  stopped = true;
  releaseStdin();
  unwatch();
  // A reload under way finishes before the gateway's runtime closes (within the drain's bound); one still
  // building after that closes what it built (gateway/server.ts). The backstop is armed before waiting for it.
  await stack.close();
  const code = tuiFailed ? exitCodes.failure : exitCodes.ok;
  exitSoon(code);
  await reloading;
  return code;
}

/** How long a drained gateway may wait for its last handles to close by themselves before it exits anyway. */
const EXIT_GRACE_MS = 2000;

/**
 * A backstop: everything is closed, so the process should end on its own; if a handle nobody closed (a store
 * client, a socket) would keep a drained gateway alive, it exits with `code` after a short grace. The timer
 * does not itself keep the process alive.
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
