/**
 * Connections the gateway refuses at the HTTP level (clientError, a CONNECT): the refusal is written, or waits for the
 * answers before it (server.ts refuseAfterAnswers). node:http's parser reads on meanwhile, so a request still arriving
 * on one — the refused request's own body, cut at timeouts.request, whose rest came late — must not be served.
 */
const refusing = new WeakSet<object>();

/** Marks `socket` refused; false when it already was (node:http hands each later read to its failed parser again). */
export function markRefusing(socket: object): boolean {
  if (refusing.has(socket)) return false;
  refusing.add(socket);
  return true;
}

export const isRefusing = (socket: object): boolean => refusing.has(socket);

/**
 * Requests read whole before their connection was refused: the refusal concerns a later request (its head past the
 * limit, bytes that are not HTTP), and node:http emits such a request's 'end' a tick after its parser read it — after
 * the refusal. Dropped as a request of a refused connection, a valid request was never answered nor sent upstream.
 */
const spared = new WeakSet<object>();

/** Notes `req`, read whole, as served though its connection is refused after it. */
export function spareRequest(req: object): void {
  spared.add(req);
}

/** Whether a request whose body ends now is gone with its refused connection (not one read whole before the refusal). */
export const refusedWith = (req: { socket: object }): boolean => refusing.has(req.socket) && !spared.has(req);

/** Requests whose body was read and taken to be served: their answer is coming. */
const taken = new WeakSet<object>();

/** Notes `req`'s body read whole and taken (request-body.ts). */
export function noteTaken(req: object): void {
  taken.add(req);
}

/**
 * Whether the answer to `req` is coming: its body was taken, or it was read whole before its connection was refused
 * (its 'end' still to come). A refusal waits for such an answer; not for one whose request is refused with it.
 */
export const answerComing = (req: object): boolean => taken.has(req) || spared.has(req);
