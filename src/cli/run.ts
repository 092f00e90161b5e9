import { loadWithSmallYoungGeneration } from '../core/v8-tuning.js';

/** Runs one command module and turns its outcome into an exit code; never shows a stack trace to a user. */

/** `interrupted`: what a shell reports for a command SIGINT stopped (128 + 2); the bench exits so after a Ctrl-C. */
export const exitCodes = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export interface CommandModule {
  /** Resolves with an exit code, or never resolves for servers (which exit on a signal). */
  // biome-ignore lint/suspicious/noExplicitAny: commander hands over untyped options
  run(opts: any): Promise<number | void>;
}

/** Thrown by commands for expected failures: printed as one line, exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failure,
  ) {
    super(message);
  }
}

export async function runCommand(load: () => Promise<CommandModule>, opts: Record<string, unknown>): Promise<void> {
  try {
    const mod = await loadWithSmallYoungGeneration(load);
    const code = await mod.run(opts);
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`aigw: ${e.message}\n`);
      process.exit(e.exitCode);
    }
    process.stderr.write(`aigw: unexpected failure: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.AIGW_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    process.exit(exitCodes.failure);
  }
}

/** A file system error as a short reason: `no such directory`, `is a directory`, or the system's message. */
export function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EEXIST' || code === 'ENOTDIR') return 'a file stands where a directory is needed';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (e as Error)?.message ?? String(e);
}
