/** Small HTTP helpers for the mock servers: bounded body reading, JSON replies, abortable sleeps. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeldBytes } from '../core/held-bytes.js';
import { timerDelay } from '../core/timer-delay.js';
import { MAX_DELAY_MS } from './pace.js';

export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** How long the rest of a refused upload is read (and dropped) before the connection is closed. */
const LINGER_MS = 2000;

/**
 * The request body, or undefined when it exceeds `limit` (the caller answers 413). Held as core/held-bytes.ts holds
 * bytes, not as an array of node:http's reads: each chunk of a chunked upload is a read of its own, a view of ~100
 * bytes of heap whatever it spans — a body sent a byte a chunk held ~170× its size until it ended (2 MiB held 340 MB;
 * the 64 MiB a mock takes, ~11 GB), as the gateway's reader did (dca63aa).
 *
 * Past the limit the rest is read and dropped (up to `limit` more bytes and LINGER_MS, then the socket goes), as the
 * gateway reads out a refused upload (gateway/request-body.ts discardUpload): destroyed at once, the socket took the
 * 413 with it — the client, still uploading, saw ECONNRESET (openai-node retries that, sending the body twice more).
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const held = new HeldBytes();
    let dropped = -1;
    req.on('data', (c: Buffer) => {
      if (dropped >= 0) {
        dropped += c.length;
        if (dropped > limit) req.socket.destroy();
        return;
      }
      if (held.bytes + c.length > limit) {
        held.clear();
        dropped = 0;
        const linger = setTimeout(() => req.socket.destroy(), LINGER_MS);
        linger.unref();
        req.once('end', () => clearTimeout(linger));
        resolve(undefined);
        return;
      }
      held.push(c);
    });
    req.on('end', () => resolve(dropped >= 0 ? undefined : held.take()));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Resolves after `ms`, or as soon as the response closes (the client left). */
export function sleepUnlessClosed(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0 || res.destroyed) return Promise.resolve();
  // No wait beyond MAX_DELAY_MS (as for TTFT): past 2^31 ms, setTimeout would fire after 1 ms instead.
  ms = Math.min(ms, MAX_DELAY_MS);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      res.off('close', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    res.on('close', done);
  });
}

/**
 * How long a client may leave a mock's bytes unread (per MiB of them, once the answer is ended) before its connection
 * goes: the gateway's default timeouts.clientStall. A client that sent a request and never read held its connection —
 * and a place of maxConnections — for as long as it kept the socket open, a stream or a large answer waiting on it.
 */
export const CLIENT_STALL_MS = 300_000;

/**
 * Resolves when the response can take more bytes, or has closed — at the latest after `stallMs`, when a client that
 * took none of them meanwhile is cut (as the gateway cuts a stalled reader: relay/downstream.ts).
 */
export function drained(res: ServerResponse, stallMs = CLIENT_STALL_MS): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(stall);
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    const stall =
      stallMs > 0
        ? setTimeout(() => {
            res.destroy();
            done();
          }, timerDelay(stallMs))
        : undefined;
    res.on('drain', done);
    res.on('close', done);
  });
}
