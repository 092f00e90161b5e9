/**
 * Reading the client's body within limits: a declared length over maxRequestBytes is refused before a
 * byte is read, a chunked body as soon as it crosses the limit, and a compressed one outright (decoding a
 * gzip bomb is not a risk worth taking for JSON of a few KiB). A slow body is cut by the server's own
 * request timeout (gateway/server.ts: a 408, then the socket closes, which ends the read here; the rest of it
 * arriving before then ends no request): no timer per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aigwError, type Result } from '../core/errors.js';
import { HeldBytes } from '../core/held-bytes.js';
import { formatSize } from '../core/units.js';
import { refusedWith } from './refused-connections.js';

/** What a body read ends with: the client's bytes, a refusal, or undefined (the client left). */
export type BodyRead = Result<Buffer> | undefined;

/** node:http's reading of an Expect that asks for 100 Continue (its `continueExpression`), on HTTP/1.1 alone. */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

/**
 * Whether the client waits for 100 Continue before it sends its body. node:http hands such a request to the
 * 'checkContinue' listener (gateway/server.ts) and says nothing itself: the body stage says it, once it will read.
 */
function awaitsContinue(req: IncomingMessage): boolean {
  const expect = req.headers.expect;
  return expect !== undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && CONTINUE.test(expect);
}

/**
 * Calls `done` once with the body (synchronously for a refusal the headers already tell). A callback, not a
 * promise: the body stage is on every request's path, and a promise there costs an allocation and a turn of the
 * microtask queue for nothing. `done` runs inside the request's event listeners: it must not throw. A client that
 * waits for 100 Continue is told it here, once the headers are not refused (`res`).
 */
export function readRequestBody(req: IncomingMessage, limit: number, done: (r: BodyRead) => void, res?: ServerResponse): void {
  const encoding = req.headers['content-encoding'];
  // Content codings are case-insensitive (RFC 9110 §8.4.1): `Identity` is the body as it is, not a coding to refuse.
  if (encoding !== undefined && encoding !== 'identity' && encoding.toLowerCase() !== 'identity') {
    return done({
      ok: false,
      error: aigwError('unsupported_media_type', `content-encoding ${encoding} is not accepted; send the JSON body uncompressed`),
    });
  }
  const coded = compressedTransfer(req.headers['transfer-encoding']);
  if (coded !== undefined) {
    return done({
      ok: false,
      error: aigwError('unsupported_media_type', `transfer-encoding ${coded} is not accepted; send the JSON body uncompressed`),
    });
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return done({ ok: false, error: tooLarge(limit) });
  if (res !== undefined && !res.headersSent && awaitsContinue(req)) res.writeContinue();
  // Not an array of the reads: node:http gives each chunk of a chunked upload as a read of its own, a view of ~100
  // bytes of heap whatever it spans — a body sent a byte a chunk held ~170× its size (2 MiB held 340 MB, and
  // maxRequestBytes' 8 MiB over a GiB) until it ended. Held as a backend's bytes are (core/held-bytes.ts).
  const held = new HeldBytes();
  let reads = 0;
  const settle = (r: BodyRead) => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', onAborted);
    req.off('close', onAborted);
    done(r);
  };
  const onData = (c: Buffer) => {
    if (held.bytes + c.length > limit) {
      held.clear();
      return settle({ ok: false, error: tooLarge(limit) });
    }
    if (++reads > MAX_SMALL_READS && held.bytes + c.length < reads * SMALL_READ_BYTES) {
      held.clear();
      return settle({ ok: false, error: tooFinelyCut() });
    }
    held.push(c);
  };
  // A body cut at the request deadline is answered 408 (server.ts: at once, or after the answers pipelined before it;
  // then a linger for the client to read it), but node:http's parser reads on: the rest of it, arriving late, ended
  // the read — and the request the client was told is refused went upstream. On a refused connection that request is
  // gone, however its body ends; one read whole before the refusal is served (refused-connections.ts).
  const onEnd = () => settle(refusedWith(req) || req.socket.writableEnded ? undefined : { ok: true, value: held.take() });
  const onAborted = () => settle(undefined);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onAborted);
  req.on('close', onAborted);
}

/**
 * A transfer coding besides chunked (`gzip, chunked`), which node:http does not undo: its bytes were read as the
 * JSON body — 400 invalid_json quoting them, or a body labelled compressed served as plain. RFC 9112 §6.1 has a
 * server refuse a coding it does not understand; refused as a compressed content-encoding is. The header, cut.
 */
function compressedTransfer(te: string | undefined): string | undefined {
  if (te === undefined || te === 'chunked') return undefined;
  for (const coding of te.split(',')) {
    const c = coding.trim().toLowerCase();
    if (c !== 'chunked' && c !== 'identity' && c !== '') return te.slice(0, 60);
  }
  return undefined;
}

/**
 * node:http calls into JavaScript once per chunk of a chunked upload, ~1.8 µs each: a body sent a byte a chunk cost
 * 3.7 s of the event loop for 2 MiB (~15 s at the default 8 MiB maxRequestBytes), one request. Past this many reads
 * averaging under SMALL_READ_BYTES, the body is refused (~30 ms spent on it at most); no client's writes are so small.
 */
const MAX_SMALL_READS = 16_384;
const SMALL_READ_BYTES = 64;

function tooFinelyCut() {
  return aigwError(
    'invalid_request',
    `the request body came in more than ${MAX_SMALL_READS} pieces averaging under ${SMALL_READ_BYTES} bytes; send it in larger writes`,
  );
}

/** The refusal of a body over `limit` bytes (413): while it is read, and at a reload's readmission (handle.ts). */
export function tooLarge(limit: number) {
  return aigwError('request_too_large', `the request body is larger than the gateway's limit of ${formatSize(limit)}`);
}
