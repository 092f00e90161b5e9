/**
 * The admin listener: loopback by default, optional bearer key (read per request, so a reload rotates it);
 * without one, web pages are refused (core/browser-guard.ts).
 */
import { targetPath } from '../core/request-target.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { browserProblem } from '../core/browser-guard.js';
import { discardUpload } from '../core/discard-upload.js';
import { aigwError, type AigwError } from '../core/errors.js';
import { guarded } from '../core/guard.js';
import { requestDeadlines } from '../core/listen.js';
import { cutUnreadAnswer } from '../core/unread-answer.js';
import { whenResponseGone } from '../core/response-gone.js';
import { renderError } from '../openai/error-shape.js';

export type AdminRoute = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Requests one admin connection may have waiting behind the one being answered (HTTP/1.1 pipelining); past it, the
 * connection goes. node:http stops reading a connection only after the chunk it is parsing: one 60 KB write of 2,000
 * `GET /metrics` behind a stream rendered /metrics 1,522 times on the gateway's event loop and kept every body.
 * Prometheus, `aigw top` and curl send one request at a time.
 */
export const MAX_ADMIN_PIPELINED = 16;
/**
 * Bytes of a request body an admin request may still upload (read and dropped) before its connection goes: no admin
 * route reads a body (POST /aigw/reset takes none). Left to node:http, one was read for as long as it came, up to
 * timeouts.request — and before the key is checked: 2 GB in 8 s on one connection, on the gateway's event loop.
 */
const ADMIN_UPLOAD_BYTES = 64 * 1024;
const NOTHING = (): void => {};
function sha(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * The key of `Bearer <key>`: the scheme in any case (RFC 9110; `bearer` from curl users and some clients), the key
 * as sent after one space — an admin key may hold spaces (a passphrase; `aigw top` sends it so), which a tenant's
 * key may not, so the tenants' reader (tenants/keys.ts) is not this one. '' when the value is not that.
 */
function adminKeyGiven(auth: string): string {
  return auth.length > 7 && auth.charCodeAt(6) === 0x20 && auth.slice(0, 6).toLowerCase() === 'bearer' ? auth.slice(7) : '';
}

export function sendAdminError(res: ServerResponse, err: AigwError): void {
  if (res.headersSent || res.destroyed) return;
  const r = renderError(err);
  res.writeHead(r.status, r.headers).end(r.body);
}

/**
 * @param stallMs how long an answer's unread bytes may wait per window (timeouts.clientStall, read per request: a reload
 * changes it); 0: never cut.
 */
export function createAdminServer(
  routes: Record<string, AdminRoute>,
  key: () => string | undefined,
  requestTimeoutMs = 30_000,
  stallMs: () => number = () => 300_000,
): Server {
  let hashed: { key: string; digest: Buffer } | undefined;
  const digestOf = (k: string) => {
    if (hashed?.key !== k) hashed = { key: k, digest: sha(k) };
    return hashed.digest;
  };
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    // Whatever the answer — a refusal, a route, a stream — the body is nobody's: a little is let through, then it closes.
    discardUpload(req, ADMIN_UPLOAD_BYTES);
    const path = targetPath(req.url ?? '/');
    const current = key();
    // Without a key, only where the request came from tells a program from a web page (core/browser-guard.ts).
    if (current === undefined) {
      const refused = browserProblem(req.headers, req.socket.localAddress);
      if (refused) return sendAdminError(res, refused);
    } else if (path !== '/healthz') {
      const given = adminKeyGiven(req.headers.authorization ?? '');
      if (!timingSafeEqual(sha(given), digestOf(current))) {
        return sendAdminError(res, aigwError('invalid_api_key', 'admin key required', { headers: { 'www-authenticate': 'Bearer' } }));
      }
    }
    const route = routes[path];
    if (!route) return sendAdminError(res, aigwError('not_found', `no admin route ${path}`));
    route(req, res);
    cutUnreadAnswer(res, stallMs());
  };
  const failed = (res: ServerResponse) => sendAdminError(res, aigwError('internal_error', 'the admin listener failed to answer'));
  const served = guarded(serve, failed);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (res.socket) return serve(req, res);
    // Queued behind another response (pipelined). Counted before anything is read or rendered for it. The requests parsed
    // after it from the same read come here with their connection gone (whenResponseGone counts them as having their
    // turn): nothing is done for them either.
    if (req.socket.destroyed || whenResponseGone(req, res, NOTHING) > MAX_ADMIN_PIPELINED) return void req.socket.destroy();
    // Answered at its turn, not rendered now: a queued response holds its whole body until then, and behind an
    // /aigw/events stream the turn never comes — each of a reading subscriber's 16 queued /metrics was rendered and kept
    // for as long as it read, on each of the listener's connections. The key is read then too, as for any request.
    res.once('socket', () => served(req, res));
  };
  // A slow or never-ending upload is cut at the request timeout, as on the gateway listener.
  const options = requestDeadlines(requestTimeoutMs);
  return createServer(options, guarded(handler, failed));
}
