/**
 * The rest of an upload nobody reads, after its answer: shared by the gateway's listener (a refusal before the body,
 * gateway/handle.ts) and the admin listener (whose routes read no body, observe/admin-server.ts). Left to node:http, it
 * is read and dropped for as long as the client sends it — up to timeouts.request — on the gateway's event loop.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long the rest of an unread upload is read (and dropped) before the connection is closed. */
const LINGER_MS = 2000;

/**
 * Keeps reading and dropping what the client is still uploading, so it can read the answer instead of running into a
 * reset mid-upload — up to `cap` bytes, then reading stops (TCP holds the client's writes back, at no cost here) —
 * and after LINGER_MS the socket goes. A body already whole costs nothing.
 *
 * A socket closed with the client's bytes unread answers them with a reset, and a client still writing its body met
 * the reset before it read the answer: an ECONNRESET, which openai-node and the Anthropic SDK take for a network
 * failure and retry — the refused request sent again, and the client never told why. So neither the cap nor a closing
 * answer destroys the socket: the cap pauses it, and node:http's close after a `connection: close` answer (its
 * destroySoon, which destroys once the answer is written) becomes a half-close — the answer, then FIN — a lingering
 * close as nginx and Apache make; the linger, or the client's own close, ends it.
 */
export function discardUpload(req: IncomingMessage, cap: number): void {
  if (req.complete) return;
  const socket = req.socket as Socket & { destroySoon?: () => void };
  let discarded = 0;
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  req.on('end', () => clearTimeout(linger));
  socket.once('close', () => clearTimeout(linger));
  socket.destroySoon = () => {
    if (socket.writable) socket.end();
    // Bounded whether or not the body ends meanwhile: a client that sent it whole and keeps its side open would
    // otherwise hold the half-closed socket for good.
    const close = setTimeout(() => socket.destroy(), LINGER_MS);
    close.unref();
    socket.once('close', () => clearTimeout(close));
  };
  const onData = (c: Buffer) => {
    discarded += c.length;
    if (discarded <= cap) return;
    req.off('data', onData);
    req.pause();
  };
  req.on('data', onData);
  req.resume();
}
