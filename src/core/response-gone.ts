/**
 * When a response is over for good. node:http answers pipelined requests in order: a response queued behind
 * another has no socket yet, and if the connection ends before its turn (the response before it closed the
 * connection, or the client left), node:http never emits 'close' on it. Whatever a request holds until its
 * response closes — the in-flight count, a tenant's concurrency slot, the upstream request, the runtime
 * it runs on — would be held until the process exits; a client that pipelines requests behind a refused
 * one (401, `connection: close`) could fill the in-flight cap without a key. So a queued response also ends
 * with its connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The responses of each connection still queued behind another: one 'close' listener per connection. */
const queued = new WeakMap<Socket, Set<() => void>>();

/**
 * Runs `gone` once, when `res` closes or, while it waits its turn on a pipelined connection, when that connection
 * closes. Returns how many responses wait their turn on the connection, this one included (0: it has its turn).
 */
export function whenResponseGone(req: IncomingMessage, res: ServerResponse, gone: () => void): number {
  // The usual case — the connection's only response — pays nothing more than the listener.
  if (res.socket) {
    res.on('close', gone);
    return 0;
  }
  const socket = req.socket;
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    queued.get(socket)?.delete(once);
    gone();
  };
  res.on('close', once);
  if ((socket as { closed?: boolean }).closed === true) {
    process.nextTick(once);
    return 1;
  }
  let pending = queued.get(socket);
  if (!pending) {
    const set = new Set<() => void>();
    pending = set;
    queued.set(socket, set);
    socket.once('close', () => {
      queued.delete(socket);
      for (const end of [...set]) end();
    });
  }
  pending.add(once);
  return pending.size;
}
