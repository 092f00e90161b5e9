/**
 * `AIGW_STOP_WITH_STDIN=1`: a server command (`serve`, `mock-backends`) stops, as on its first SIGTERM, once its
 * standard input ends. A process that starts aigw with a pipe for stdin — `aigw bench` starts its gateway and
 * mocks so — has them stop when it dies, however it dies (SIGKILL, an out-of-memory abort, a closed terminal):
 * the kernel closes its end of the pipe, which no signal handler has to run for.
 */
export const STOP_WITH_STDIN = 'AIGW_STOP_WITH_STDIN';

/** Calls `stop` when stdin ends (only under AIGW_STOP_WITH_STDIN=1); the function returned lets stdin go. */
export function stopWithStdin(stop: () => void): () => void {
  if (process.env[STOP_WITH_STDIN] !== '1') return () => {};
  const stdin = process.stdin;
  const ended = () => stop();
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
