/**
 * When a connection's last answer was done, kept on its socket: the cap's sweep (server.ts) closes only connections
 * idle past a moment, so that a client turned away at the cap cannot have the sweep close the kept-alive connection of
 * a client that is using it — only those held idle (a request a minute keeps each) make room.
 */
import type { Socket } from 'node:net';

const ANSWERED_AT = Symbol('aigw.answeredAt');
type Stamped = Socket & { [ANSWERED_AT]?: number };

/** The connection's answer is done at `now` (performance.now()). */
export function noteAnswered(socket: Socket, now: number): void {
  (socket as Stamped)[ANSWERED_AT] = now;
}

/** How long the connection has been idle since its last answer, at `now`; Infinity when it had none. */
export function idleFor(socket: Socket, now: number): number {
  const at = (socket as Stamped)[ANSWERED_AT];
  return at === undefined ? Number.POSITIVE_INFINITY : now - at;
}
