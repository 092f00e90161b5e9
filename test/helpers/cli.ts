/** Runs the real `aigw` binary as a child process and waits for its ready lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cleanupScope } from './cleanup.js';

export const AIGW = new URL('../../bin/aigw.js', import.meta.url).pathname;

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The URLs of the ready lines, by listener name (`gateway`, `admin`, or a mock's name). */
  urls: Record<string, string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `aigw ARGS` and resolves once `readyCount` ready lines were printed. `launcher`: a command that execs node in
 * its place (`prlimit --nofile=…`), so the child is still aigw's process.
 */
export async function startAigw(
  args: string[],
  readyCount: number,
  env: Record<string, string> = {},
  launcher: readonly string[] = [],
): Promise<Running> {
  const cleanupAfter = cleanupScope();
  const [command, ...before] = [...launcher, process.execPath];
  const child = spawn(command!, [...before, AIGW, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const urls: Record<string, string> = {};
  // Registered before the wait, so a process that never gets ready is killed too.
  cleanupAfter(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aigw did not get ready: ${out}${err}`)), 45_000);
    child.on('exit', (code) => reject(new Error(`aigw exited with ${code}: ${out}${err}`)));
    child.stdout!.on('data', (d) => {
      out += d;
      for (const m of out.matchAll(/^(?:mock (\S+) \([\w-]+\)|(gateway|admin)) listening on (\S+)$/gm)) urls[m[1] ?? m[2]!] = m[3]!;
      if (Object.keys(urls).length >= readyCount) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const running: Running = {
    child,
    urls,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
  return running;
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Runs `aigw ARGS` to completion; `launcher` as startAigw's (`prlimit --fsize=…`). */
export async function runAigw(
  args: string[],
  env: Record<string, string> = {},
  launcher: readonly string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...before] = [...launcher, process.execPath];
  const child = spawn(command!, [...before, AIGW, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}
