/**
 * The rest of an upload nobody reads, after its answer: shared by the gateway's listener (a refusal before the body,
 * gateway/handle.ts) and the admin listener (whose routes read no body, observe/admin-server.ts). Left to node:http, it
 * is read and dropped for as long as the client sends it — up to timeouts.request — on the gateway's event loop.
 */
import type { IncomingMessage } from 'node:http';

/** How long the rest of an unread upload is read (and dropped) before the connection is closed. */
const LINGER_MS = 2000;

/**
 * Keeps reading and dropping what the client is still uploading, so it can read the answer instead of running into a
 * reset mid-upload — up to `cap` bytes and LINGER_MS, then the socket goes. A body already whole costs nothing.
 */
export function discardUpload(req: IncomingMessage, cap: number): void {
  if (req.complete) return;
  let discarded = 0;
  const linger = setTimeout(() => req.socket.destroy(), LINGER_MS);
  linger.unref();
  req.on('end', () => clearTimeout(linger));
  req.on('data', (c: Buffer) => {
    discarded += c.length;
    if (discarded > cap) req.socket.destroy();
  });
  req.resume();
}
