/**
 * The gateway listener: a node:http server (node:https with the profile's `tls`) with the profile's timeouts,
 * a total reload (new certificates for new connections), and a bounded drain.
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createServer as createHttpsServer } from 'node:https';
import { applyTlsOptions } from '../auth/tls-options.js';
import { listenOn, requestDeadlines, splitHostPort } from '../core/listen.js';
import { LiveList } from '../core/live-list.js';
import type { EventBus } from '../events/bus.js';
import type { Profile } from '../profile/schema.js';
import { TokenWorker } from '../tenants/token-worker.js';
import { BackendRegistry } from '../upstream/backends.js';
import { clientErrorResponse, connectRefusal } from './client-error.js';
import { answerComing, markRefusing } from './refused-connections.js';
import { answeredBeforeItsBody } from './respond.js';
import { idleFor } from './answered-at.js';
import { processConnectionCap } from './connection-cap.js';
import { createHandler, cutAtDeadline, type GatewayState } from './handle.js';
import { Runtime } from './runtime.js';
import { timerDelay } from '../core/timer-delay.js';
import { monotonicNow } from '../core/clock.js';

/**
 * The largest header block a client may send, as Node counts it (the request target, each name and value): 1 KiB
 * under Node's own 16 KiB — the limit of any Node server a backend runs on, the profile's mocks among them — for what
 * the gateway adds upstream (host, x-forwarded-for, x-request-id, a backend's key and headers, identity, trace
 * context). A block accepted just under 16 KiB went over it there: the backend cut the connection, the attempt and
 * its quick retry counted as its failures, and two such requests from any client ejected every target of a model.
 */
export const MAX_CLIENT_HEADER_BYTES = 15 * 1024;
/** How long a connection answered by clientError (400, 408, 431) stays open, idle, for its client to read the answer. */
const REFUSED_LINGER_MS = 2000;
/** How long the drain waits, once every connection is cut, for the cut requests to settle. */
const SETTLE_AFTER_CUT_MS = 1000;
/** How long the answers the deadline ends (503s, streams' error frames) may take to go out before connections are cut. */
const FLUSH_AFTER_DEADLINE_MS = 250;

export interface Gateway {
  readonly state: GatewayState;
  readonly server: Server;
  url: string;
  /**
   * Builds a runtime for `profile` and swaps it in whole; requests in flight finish on the old one. One reload
   * runs at a time, in call order, each on the runtime the one before it left; refused once draining.
   */
  reload(profile: Profile): Promise<void>;
  /**
   * Stops accepting, lets a reload in progress finish (no new one starts), waits (bounded) for in-flight
   * requests, closes upstream pools and the limiter.
   */
  drain(timeoutMs: number): Promise<void>;
}

/** Starts a server on a profile's `HOST:PORT`. */
export function listen(server: Server, hostPort: string, scheme: 'http' | 'https' = 'http', backlog?: number): Promise<string> {
  const { host, port } = splitHostPort(hostPort);
  return listenOn(server, host, port, scheme, backlog);
}

/**
 * The refusal of a request node:http gave up on, once the answer being written on the connection is over: written at
 * once, it landed inside the chunked body of an answer still streaming (a pipelining client's next request past the
 * header limit), and ended the connection under it — that answer cut, unframed, where it stood. node:http names the
 * answer it is writing on the socket `_httpMessage`; at its close the next one queued takes it. An answer not begun is
 * waited for only when its request was read whole and taken before the refusal (which is then a later request's): one
 * whose body was still arriving may be the refused request's own — a body too slow to arrive (408) would wait for itself.
 */
function refuseAfterAnswers(socket: Socket, answer: string): void {
  const current = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  // An answer begun, or one coming to a request read whole before the refusal (which is a later request's).
  if (current && (current.headersSent || (current.req && answerComing(current.req))) && !current.destroyed && !current.writableFinished) {
    current.once('close', () => refuseAfterAnswers(socket, answer));
    return;
  }
  if (!socket.writable) return void socket.destroy();
  socket.end(answer);
  // node:http's sockets are half-open: ended, this one stayed open until the client closed its side, with no timer
  // left on it — a client that kept it open (one byte that is not HTTP was enough) held a descriptor for good.
  // Closed once the answer has had its moment to be read; a client that closes first closes it sooner. A deadline, not
  // the socket's idle timer: every read pushed that back, and a client that kept sending (a byte a second after its
  // CONNECT's 405) held the connection for good.
  const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}

/**
 * Whether the parser failed inside the body of a request the gateway had answered already (a refusal, /healthz): a
 * second answer there — 400 after a 401 or a 200 — was a response to no request, taken by a client for the answer to
 * its next one. node:http's own handler writes nothing once an answer went out; the connection closes after it. The
 * request being parsed is node:http's `parser.incoming`.
 */
function inAnsweredBody(socket: Socket): boolean {
  const parsing = parserIncoming(socket);
  return parsing !== undefined && !parsing.complete && answeredBeforeItsBody(parsing);
}

/** The request node:http's parser is on, or read last (its `parser.incoming`). */
function parserIncoming(socket: Socket): IncomingMessage | undefined {
  return (socket as { parser?: { incoming?: IncomingMessage | null } | null }).parser?.incoming ?? undefined;
}

/** llhttp's refusals (HPE_*) and Node's request deadline: the errors a request line reached. */
function isHttpLevel(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('HPE_') || code === 'ERR_HTTP_REQUEST_TIMEOUT');
}

function applyTimeouts(server: Server, profile: Profile): void {
  // Slowloris: headers must arrive within the request timeout; and the whole request, body included, on
  // every path — never unbounded. Node checks both on connectionsCheckingInterval and answers 408 through
  // clientError (in its client's API's error shape: client-error.ts): one timer for all connections, not one a request.
  const { headersTimeout, requestTimeout } = requestDeadlines(profile.timeouts.request);
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;
  // And the TLS handshake before them. node:tls reads its handshakeTimeout option from a symbol on the server for
  // each connection it accepts; a reload sets it there (none: the option given at start stays).
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'handshake-timeout');
  if (key) (server as unknown as Record<symbol, number>)[key] = handshakeMs(requestTimeout);
}

/**
 * limits.maxConnections, else half the descriptors (connection-cap.ts): clients never hold every one, some stay for the
 * backends, the admin listener and the profile's files. A reload sets it for the connections accepted after it; those
 * open stay.
 */
function applyConnectionCap(server: Server, profile: Profile): void {
  const cap = profile.limits.maxConnections ?? processConnectionCap();
  server.maxConnections = cap ?? Number.POSITIVE_INFINITY;
}

/** How often, at most, a connection turned away at the cap closes the idle ones (a sweep walks every connection). */
const RECLAIM_EVERY_MS = 250;
/**
 * How long a connection must have been idle since its last answer for the sweep to close it: a client using its
 * kept-alive connection keeps it, whoever is turned away at the cap (one holding the other places with half-sent heads,
 * which are busy to node:http, had every kept-alive client's connection closed by each attempt of its own).
 */
const SWEPT_IDLE_MS = 2_000;

/** node:http's connection list, as its closeIdleConnections reads it: `idle()` holds those with no request arriving. */
interface ConnectionsList {
  idle(): { socket?: Socket & { _httpMessage?: ServerResponse | null } }[];
}

/**
 * The idle connections closed: those with no request arriving and no answer being written. Not node:http's
 * closeIdleConnections: it counts an answer idle once it is ended (`finished`), not once it is written out — a
 * buffered answer goes out in one write, and one a slow reader had not taken yet (3.9 of 8 MB) was cut where it
 * stood, a 200 shorter than its content-length, whenever another client was turned away at the cap, or at the drain.
 */
function closeIdle(server: Server, idleAtLeastMs = 0): void {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
  const list = key && (server as unknown as Record<symbol, ConnectionsList | undefined>)[key];
  if (!list) return;
  const now = performance.now();
  for (const { socket } of list.idle()) {
    if (!socket || socket.destroyed || idleFor(socket, now) < idleAtLeastMs) continue;
    const answer = socket._httpMessage;
    if ((answer && !answer.writableFinished) || socket.writableLength > 0) continue;
    socket.destroy();
  }
}

/**
 * At the cap, a connection turned away closes the idle kept-alive ones — those between requests (one with no request
 * yet is busy to node:http from its accept on, and left to the header deadline) — as nginx reuses its keep-alive connections when it runs out of them: a client holding the cap with idle
 * connections (one cheap request a minute keeps each past the keep-alive timeout) shut every other client out for as
 * long. The one turned away gets in on its retry (openai-node and the Anthropic SDK retry a failed connection); a
 * connection whose request or answer is under way is never closed.
 */
function reclaimIdleAtCap(server: Server): void {
  let last = Number.NEGATIVE_INFINITY;
  let later: NodeJS.Timeout | undefined;
  const sweep = () => {
    later = undefined;
    last = monotonicNow();
    closeIdle(server, SWEPT_IDLE_MS);
  };
  server.on('drop', () => {
    if (later) return;
    const wait = last + RECLAIM_EVERY_MS - monotonicNow();
    // Within the interval, the sweep comes at its end: a drop is never left without one.
    if (wait > 0) later = setTimeout(sweep, wait).unref();
    else sweep();
  });
}

/**
 * The request deadline (requestDeadlines: whole milliseconds, held to Node's timer bound — past it, Node warns
 * (TimeoutOverflowWarning) on every TLS connection), or Node's own 120 s when it is 0: a handshake is never unbounded.
 */
function handshakeMs(requestTimeout: number): number {
  return requestTimeout || 120_000;
}

/**
 * A listener's connections from their accept on. node:http tracks a connection for closeAllConnections only while its
 * parser is on it: over TLS, only once its handshake is done — one still in its handshake (a TCP health check, a
 * scanner, a client that sent half a ClientHello) was out of the drain's reach, and server.close() waited for it:
 * SIGTERM's exit held until its handshake deadline (timeouts.request, 30 s by default; Node's 120 s with none), past
 * the drain's bound. And a CONNECT's socket is handed over with its parser taken off: refused and lingering, one whose
 * client kept sending held the drain for as long. Each leaves the set as it closes (a TLS socket closes the one it wraps).
 */
function openConnections(server: Server): ReadonlySet<Socket> {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return open;
}

export async function startGateway(profile: Profile, bus: EventBus, listenAt = profile.listen): Promise<Gateway> {
  const registry = new BackendRegistry();
  // The tokenizer thread starts on the first count (only answers without usage need one): an idle gateway,
  // or one whose backends report usage, never pays its memory.
  const tokens = new TokenWorker();
  const state: GatewayState = {
    runtime: await Runtime.create(profile, registry, bus),
    bus,
    tokens,
    live: new LiveList(),
    authenticating: new Set(),
    settling: new Set(),
    places: new Map(),
    draining: false,
  };
  const deadlines = requestDeadlines(profile.timeouts.request);
  const httpOptions: ServerOptions = {
    // Node checks header deadlines on this interval (30 s by default), so it bounds how late a cut comes.
    connectionsCheckingInterval: deadlines.connectionsCheckingInterval,
    keepAliveTimeout: 65_000,
    noDelay: true,
    maxHeaderSize: MAX_CLIENT_HEADER_BYTES,
    // An HTTP/1.1 request without a Host is refused by the handler (handle.ts), in its API's error shape: node:http's own
    // refusal is a bare 400 with an empty body — no error, no x-request-id, nothing logged.
    requireHostHeader: false,
  };
  const handler = createHandler(state);
  const tls = state.runtime.services.tls;
  // node:https's server is node:http's over TLS: the same handler, timeouts and drain apply to it.
  // The handshake is bounded as the request is (a connection that never finishes one held a socket for Node's 120 s).
  const httpsServer = tls
    ? createHttpsServer({ ...tls, ...httpOptions, handshakeTimeout: handshakeMs(deadlines.requestTimeout) }, handler)
    : undefined;
  // No TLS 1.2 renegotiation: node:tls keeps `authorized` from the first handshake while getPeerCertificate() shows
  // the certificate of the last, so a client verified once could present any certificate after (a tenant's subject,
  // self-signed) and be taken for that tenant (test/e2e/identity-mtls-renegotiation.test.ts).
  httpsServer?.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
  const server: Server = httpsServer ?? createServer(httpOptions, handler);
  // server.close() calls it too (the drain): node:http's own cut a slow reader's answer, ended but not yet written out,
  // at SIGTERM's first moment, when the drain was there to wait for it.
  server.closeIdleConnections = () => closeIdle(server);
  const connections = openConnections(server);
  // An Expect other than 100-continue: node:http answered a bare 417 itself (no error shape, no x-request-id, nothing
  // logged). HTTP/1.1 defines no other expectation and a server may ignore one (RFC 9110 §10.1.1); none goes upstream.
  server.on('checkExpectation', handler);
  // Expect: 100-continue: node:http, with no listener here, answered 100 Continue to every such request as its head
  // came, before the gateway looked at it — a client whose key, path or declared length the gateway then refused was
  // invited to upload the body first. The handler says 100 Continue itself, once it reads the body (request-body.ts);
  // a refusal before that is the final answer, and node:http closes the connection after it.
  server.on('checkContinue', handler);
  // A CONNECT: nothing is tunnelled, it is refused in the error shape (node:http closed the connection unanswered).
  server.on('connect', (_req, socket: Socket) => {
    // node:http took its own listeners off the socket before handing it here, its 'error' one too: a client that reset
    // the connection after the 405 threw ECONNRESET with no listener, and the process went down.
    socket.on('error', () => socket.destroy());
    if (!markRefusing(socket)) return;
    refuseAfterAnswers(socket, connectRefusal());
  });
  applyTimeouts(server, profile);
  applyConnectionCap(server, profile);
  reclaimIdleAtCap(server);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Only an HTTP request Node gave up on has an answer. A TLS handshake that failed or timed out comes here too
    // (node:https forwards tlsClientError): an answer written there waited for a handshake that never came, and
    // held the connection open for good.
    if (!socket.writable || !isHttpLevel(err.code)) return socket.destroy();
    // Bytes after a request that closes its connection (`Connection: close`, HTTP/1.0): that request was read whole and
    // is answered, then the connection closes; what follows is processed by nobody (RFC 9112 §9.6). Refused, the
    // request before it was dropped unanswered and a 400 went out in its place.
    if (err.code === 'HPE_CLOSED_CONNECTION') return;
    // node:http goes on handing the rest of the connection's reads to its failed parser, each a clientError again.
    // Read on, not paused: a paused socket never sees its client's close, and held its descriptor for the whole linger.
    // A request body still arriving on it ends as its client's leaving (request-body.ts, refused-connections.ts).
    // The request being parsed goes with the connection only while its body is arriving; read whole, the error is in
    // the head of the next one, and it is served, as is every request before it.
    const parsing = parserIncoming(socket as Socket);
    if (!markRefusing(socket, parsing?.complete === false ? parsing : undefined)) return;
    refuseAfterAnswers(socket as Socket, inAnsweredBody(socket as Socket) ? '' : clientErrorResponse(err, socket as Socket));
  });
  const url = await listen(server, listenAt, tls ? 'https' : 'http', profile.limits.listenBacklog);
  // The reloads, one after another: each reads the live runtime only once the one before it has swapped its
  // own in, so two overlapping reloads can neither both retire the same runtime nor leave the slower one's
  // (older) profile serving.
  let reloads: Promise<unknown> = Promise.resolve();
  // Set once drain() has closed the live runtime: a reload still building then closes what it built.
  let closedDown = false;
  const stopping = () => new Error('the gateway is stopping: the reload is not applied');
  const swap = async (next: Profile) => {
    if (state.draining) throw stopping();
    const old = state.runtime;
    const fresh = await Runtime.create(next, registry, bus, old);
    if (closedDown) {
      await fresh.close();
      throw stopping();
    }
    state.runtime = fresh;
    old.retire();
    applyTimeouts(server, next);
    applyConnectionCap(server, next);
    // Turning TLS on or off needs a restart (gateway/reload-check.ts); its files are re-read on every reload.
    const tls = fresh.services.tls;
    if (httpsServer && tls) applyTlsOptions(httpsServer, tls);
  };
  return {
    state,
    server,
    url,
    reload(next) {
      const done = reloads.then(() => swap(next));
      reloads = done.catch(() => {});
      return done;
    },
    async drain(timeoutMs) {
      state.draining = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const deadline = monotonicNow() + timeoutMs;
      // A reload under way finishes first (its runtime is then the one closed below), within the drain's bound;
      // one still building after that closes what it built itself. A later reload is refused.
      let waited: NodeJS.Timeout | undefined;
      // Held to Node's timer bound: a drain of 600h waited 1 ms for a reload under way, not for the reload.
      const bound = new Promise<void>((r) => (waited = setTimeout(r, timerDelay(Math.max(0, deadline - monotonicNow())))));
      await Promise.race([reloads, bound]);
      clearTimeout(waited);
      // A request whose credential is still being checked is under way too: it may be verified in time and served.
      const busy = () => state.live.size > 0 || state.authenticating.size > 0;
      while (busy() && monotonicNow() < deadline) await new Promise((r) => setTimeout(r, 25));
      if (busy()) {
        // What is not answered yet gets its 503, a stream its error frame; they go out before the cut.
        for (const ctx of [...state.live.snapshot(), ...state.authenticating]) cutAtDeadline(ctx);
        const flushed = monotonicNow() + FLUSH_AFTER_DEADLINE_MS;
        while (busy() && monotonicNow() < flushed) await new Promise((r) => setTimeout(r, 5));
      }
      server.closeAllConnections();
      // And those node:http does not know of: still in their TLS handshake, or a CONNECT's, handed over.
      for (const socket of connections) socket.destroy();
      await closed;
      // A cut connection's response emits 'close' on a later tick, and its request settles (is published, then
      // logged) only then: with requests on a retired runtime (a reload while they waited), the drain returned
      // first, and the requests its deadline cut were missing from the log.
      const settled = monotonicNow() + SETTLE_AFTER_CUT_MS;
      while (state.live.size > 0 && monotonicNow() < settled) await new Promise((r) => setTimeout(r, 5));
      // Answers gone, settlements may still be under way: an answer without usage is counted off the event loop, a shared
      // store answers over the network. Closed under them, the limiter dropped their SETTLE, and Redis kept each one's
      // reservation — its dearest outcome — charged to its tenant's budget for the rest of the window, on every gateway.
      // They are waited for within the drain's own bound (or the moment after a cut) — every runtime's: one that began
      // before a reload settles on the retired runtime, and read from the serving one alone it was not waited for.
      const settleBy = Math.max(deadline, settled);
      const settling = () => state.settling.size > 0 || state.runtime.inUse > 0;
      while (settling() && monotonicNow() < settleBy) await new Promise((r) => setTimeout(r, 5));
      await registry.close();
      closedDown = true;
      await state.runtime.close();
      await tokens.stop();
    },
  };
}
