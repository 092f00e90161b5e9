/**
 * `AIGW_STOP_WITH_STDIN=1`: a server command (`serve`, `mock-backends`) stops, as on its first SIGTERM, once its
 * standard input — a pipe or a socket — ends. A process that starts aigw with a pipe for stdin (`aigw bench`
 * starts its gateway and mocks so) has them stop when it dies, however it dies (SIGKILL, an out-of-memory abort,
 * a closed terminal): the kernel closes its end of the pipe, which no signal handler has to run for.
 */
import { fstatSync } from 'node:fs';

export const STOP_WITH_STDIN = 'AIGW_STOP_WITH_STDIN';

/** Whether stdin is a pipe or a socket: only those end when their writer goes (/dev/null or a file end at once). */
function stdinIsPipe(): boolean {
  try {
    const s = fstatSync(0);
    return s.isFIFO() || s.isSocket();
  } catch {
    return false;
  }
}

/**
 * Calls `stop` when stdin ends, under AIGW_STOP_WITH_STDIN=1 with stdin a pipe (otherwise says why it does not);
 * the function returned lets stdin go. The variable is read once and removed: nothing this process starts
 * inherits it.
 */
export function stopWithStdin(stop: () => void): () => void {
  const wanted = process.env[STOP_WITH_STDIN] === '1';
  delete process.env[STOP_WITH_STDIN];
  if (!wanted) return () => {};
  if (!stdinIsPipe()) {
    process.stderr.write(`aigw: ${STOP_WITH_STDIN}=1 but stdin is not a pipe: ignored (stop with SIGTERM)\n`);
    return () => {};
  }
  const stdin = process.stdin;
  const ended = () => {
    process.stderr.write(`aigw: stdin ended (${STOP_WITH_STDIN}=1): stopping\n`);
    stop();
  };
  stdin.once('end', ended);
  stdin.once('error', ended);
  // Read (and drop) whatever comes: only the end matters.
  stdin.on('data', () => {});
  return () => {
    stdin.off('end', ended);
    stdin.off('error', ended);
    // Held open, it would keep the process alive after the server stopped.
    stdin.destroy();
  };
}
