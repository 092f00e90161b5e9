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
