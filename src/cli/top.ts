/** `aigw top [--admin URL]`: the live TUI on a terminal, periodic plain lines otherwise. */
import { adminUrlProblem, keyProblem } from '../tui/admin-target.js';
import { CliError, exitCodes } from './run.js';

export async function run(opts: { admin: string; key?: string }): Promise<number> {
  const key = opts.key ?? process.env.AIGW_ADMIN_KEY;
  const admin = opts.admin.replace(/\/+$/, '');
  // Said once, up front, without quoting either: a retry loop would print them on every attempt.
  const problem = adminUrlProblem(admin) ?? (key ? keyProblem(key) : undefined);
  if (problem) throw new CliError(problem, exitCodes.usage);
  if (!process.stdout.isTTY) {
    const stop = (await import('../tui/plain.js')).runPlain(admin, key);
    await new Promise<void>((r) => {
      process.once('SIGINT', r);
      process.once('SIGTERM', r);
    });
    stop();
    return exitCodes.ok;
  }
  const [{ render }, { createElement }, { App }] = await Promise.all([import('ink'), import('react'), import('../tui/app.js')]);
  const app = render(createElement(App, { admin, adminKey: key }));
  await app.waitUntilExit();
  return exitCodes.ok;
}
