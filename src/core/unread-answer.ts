/**
 * An answer whose end is written but whose bytes the client's socket has not taken. Nothing waits on those bytes any
 * more (no paused upstream, no 'drain'), no request deadline runs once a request is read, and the keep-alive timer
 * only once the answer is taken: a client that reads none of them holds the connection, and whatever the request
 * holds until its response closes, for as long as it keeps the socket open. Shared by the gateway's listener
 * (relay/downstream.ts) and the admin listener (observe/admin-server.ts), both held to timeouts.clientStall.
 */
import type { ServerResponse } from 'node:http';
import { timerDelay } from './timer-delay.js';

/**
 * Bytes queued after an answer's end that a reader is given one stall window for: Node sees a stream's slow reader
 * progress once ~1.5 MB of the socket's buffer has drained, a window each (README's clientStall). Node counts a
 * write as taken only once all of it is: a buffered answer is one write and shows no progress until it is read
 * whole — hence a window per MiB, the rate a stream's reader is held to, rather than one for the whole.
 */
const UNREAD_PER_WINDOW = 1024 * 1024;

/**
 * While `res` has ended with bytes queued on its socket, they must be taken: a window of `stallMs` for each
 * UNREAD_PER_WINDOW of them, counted again whenever some are, else the connection goes (as a stalled write's does).
 * Only when bytes are queued after the end: the usual answer, taken by the socket at once, arms nothing.
 */
export function cutUnreadAnswer(res: ServerResponse, stallMs: number): void {
  const socket = res.socket;
  if (stallMs <= 0 || !socket || !res.writableEnded || res.writableFinished || socket.writableLength === 0) return;
  let queued = socket.writableLength;
  let windows = 0;
  const timer = setTimeout(() => {
    if (res.writableFinished || res.destroyed || socket.destroyed) return;
    const now = socket.writableLength;
    if (now === 0) return;
    if (now < queued) {
      queued = now;
      windows = 0;
    } else if (++windows >= Math.ceil(queued / UNREAD_PER_WINDOW)) return void res.destroy();
    timer.refresh();
  }, timerDelay(stallMs));
  // Taken, or the connection gone, meanwhile: the timer does not keep the answer for the rest of its window.
  const stop = (): void => clearTimeout(timer);
  res.once('finish', stop);
  res.once('close', stop);
}
