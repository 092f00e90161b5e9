/**
 * The answer to a request node:http gave up on before a mock's handler could answer it — headers past its 16 KiB,
 * a head or body slower than the request deadline, bytes that are not HTTP/1.1 — as raw text on the socket, in the
 * mock's own error shape, then the connection closed (what Node's default and uvicorn do: a status, not a reset).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerResponse } from 'node:http';

/** A refusal's body and any headers of its own (Anthropic's request-id), in a mock's dialect. */
export type RawRefusal = (status: number, message: string) => { body: string; headers?: Record<string, string> };

/** How long a refused connection stays open for its client to read the answer, however long the client keeps its side. */
const LINGER_MS = 2000;

function answerTo(code: string | undefined): [number, string, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request Timeout', 'the request did not arrive in time'];
  if (code === 'HPE_HEADER_OVERFLOW')
    return [431, 'Request Header Fields Too Large', 'the request headers are larger than the mock accepts'];
  return [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
}

/**
 * A server's 'clientError' listener. Destroyed at once, the socket took the answer with it: a client saw a reset
 * where a status was due — openai-node and the Anthropic SDK retry a connection error (an oversized header went up
 * three times, then "Connection error"), and a gateway takes a reset for the backend failing. Only an HTTP-level
 * refusal with no response under way is answered (as Node's own default: bytes written into a response already
 * sending would corrupt it); anything else, a reset by the client included, just closes.
 */
export function answerClientError(refusal: RawRefusal, identity: Readonly<Record<string, string>>) {
  return (err: NodeJS.ErrnoException, stream: Duplex): void => {
    const socket = stream as Socket;
    const sending = (socket as { _httpMessage?: ServerResponse })._httpMessage?.headersSent === true;
    const httpLevel = err.code !== undefined && (err.code.startsWith('HPE_') || err.code === 'ERR_HTTP_REQUEST_TIMEOUT');
    if (!socket.writable || !httpLevel || sending) return void socket.destroy();
    const [status, reason, message] = answerTo(err.code);
    const { body, headers } = refusal(status, message);
    const all = {
      ...identity,
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    };
    let head = `HTTP/1.1 ${status} ${reason}\r\n`;
    for (const [k, v] of Object.entries(all)) head += `${k}: ${v}\r\n`;
    socket.end(`${head}\r\n${body}`);
    // Read no more: the rest of a body cut at the deadline arrived after the 408 and completed its request, which the
    // handler then answered (on the ended socket) and counted as completed.
    socket.pause();
    // node:http's sockets are half-open: ended, this one stayed until the client closed its side. Let go once the
    // answer has had its moment to be read.
    socket.setTimeout(LINGER_MS, () => socket.destroy());
  };
}
