/** `aigw top [--admin URL]`: the live TUI on a terminal, periodic plain lines otherwise. */
import { adminUrlProblem, keyProblem } from '../tui/admin-target.js';
import { CliError, exitCodes } from './run.js';

export async function run(opts: { admin: string; key?: string }): Promise<number> {
  const key = opts.key ?? process.env.AIGW_ADMIN_KEY;
  const admin = opts.admin.replace(/\/+$/, '');
  // Said once, up front, without quoting either: a retry loop would print them on every attempt.
  const problem = adminUrlProblem(admin) ?? (key ? keyProblem(key) : undefined);
  if (problem) throw new CliError(problem, exitCodes.usage);
  // The live view reads its keys from stdin in raw mode: with stdout a terminal and stdin not one (`< /dev/null`, a pipe,
  // a script's or a supervisor's null input) Ink threw 'Raw mode is not supported' as it mounted — its error screen, then
  // `unexpected failure`, exit 1. Plain lines need no keys (serve --tui falls back to log lines the same way).
  const live = process.stdout.isTTY === true && process.stdin.isTTY === true;
  if (!live) {
    if (process.stdout.isTTY) process.stderr.write('aigw: top needs a terminal on stdin for its keys; printing plain lines instead\n');
    const { runPlain } = await import('../tui/plain.js');
    let stop = () => {};
    const failed = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      stop = runPlain(admin, key, undefined, process.stdout, resolve);
      process.once('SIGINT', () => resolve(undefined));
      process.once('SIGTERM', () => resolve(undefined));
    });
    stop();
    // A reader that went away (`aigw top | head -2`) ends the run quietly, as it does for other tools.
    if (failed && failed.code !== 'EPIPE') throw new CliError(`cannot write to stdout: ${failed.code ?? failed.message}`);
    return exitCodes.ok;
  }
  const [{ render }, { createElement }, { App }] = await Promise.all([import('ink'), import('react'), import('../tui/app.js')]);
  const app = render(createElement(App, { admin, adminKey: key }));
  await app.waitUntilExit();
  return exitCodes.ok;
}
