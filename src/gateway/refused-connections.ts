/**
 * Connections the gateway refuses at the HTTP level (clientError, a CONNECT): the refusal is written, or waits for the
 * answers before it (server.ts refuseAfterAnswers). node:http's parser reads on meanwhile, so a request still arriving
 * on one — the refused request's own body, cut at timeouts.request, whose rest came late — must not be served.
 */
const refusing = new WeakSet<object>();

/**
 * Per refused connection, the request whose body was still arriving when it was refused (408, a body breaking its
 * framing), if any: it goes with its connection. Every request read before the refusal was read whole — the refusal
 * concerns a later request (its head past the limit, bytes that are not HTTP) — and is served, however late its 'end'
 * comes (node:http emits it a tick after the parser read it, after the refusal; later still for a request whose token
 * was being checked, its body read only then). Only the request being parsed was spared before: of two such requests
 * read together (JWT clients pipelining), the first was dropped, never answered nor sent upstream, and the refusal went
 * out at once under the second as well.
 */
const cutOff = new WeakMap<object, object | undefined>();

/** Requests whose head was read on a connection already refused: nothing after the refusal is served. */
const late = new WeakSet<object>();

/** Marks `socket` refused, `arriving` the request whose body was still coming then; false when it already was. */
export function markRefusing(socket: object, arriving?: object): boolean {
  if (refusing.has(socket)) return false;
  refusing.add(socket);
  cutOff.set(socket, arriving);
  return true;
}

/** Whether `req`'s head came on a connection already refused (noted: its answer is not waited for). */
export function arrivedRefused(req: { socket: object }): boolean {
  if (!refusing.has(req.socket)) return false;
  late.add(req);
  return true;
}

/** Whether a request whose body ends now is gone with its refused connection (not one read whole before the refusal). */
export const refusedWith = (req: { socket: object }): boolean =>
  refusing.has(req.socket) && (cutOff.get(req.socket) === req || late.has(req));

/**
 * Whether the answer to `req` is coming, asked once its connection is refused: it was read before the refusal (a body
 * taken, or one read whole whose 'end' is still to come) and is not the request refused with it. A refusal waits for
 * such an answer. Nothing is noted per request for it: a request taken before the refusal is neither cut off nor late.
 */
export const answerComing = (req: { socket: object }): boolean =>
  refusing.has(req.socket) && cutOff.get(req.socket) !== req && !late.has(req);
