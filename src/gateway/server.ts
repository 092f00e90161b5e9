/** The gateway and admin listeners: node:http servers with the profile's timeouts, and a bounded drain. */
import { createServer, type Server } from 'node:http';
import { listenOn, splitHostPort } from '../core/listen.js';
import type { EventBus } from '../events/bus.js';
import type { Profile } from '../profile/schema.js';
import { BackendRegistry } from '../upstream/backends.js';
import { createHandler, type GatewayState } from './handle.js';
import { Runtime } from './runtime.js';
import { Limiter } from '../tenants/limiter.js';
import { startTokenWorker, stopTokenWorker } from '../tenants/token-worker.js';

export interface Gateway {
  readonly state: GatewayState;
  readonly server: Server;
  url: string;
  /** Swaps in a new profile; requests in flight finish on the old one. */
  reload(profile: Profile): void;
  /** Stops accepting, waits (bounded) for in-flight requests, closes upstream pools. */
  drain(timeoutMs: number): Promise<void>;
}

/** Starts a server on a profile's `HOST:PORT`. */
export function listen(server: Server, hostPort: string): Promise<string> {
  const { host, port } = splitHostPort(hostPort);
  return listenOn(server, host, port);
}

export async function startGateway(profile: Profile, bus: EventBus, listenAt = profile.listen): Promise<Gateway> {
  const registry = new BackendRegistry();
  const limiter = await Limiter.create(profile, bus);
  startTokenWorker();
  const state: GatewayState = { runtime: new Runtime(profile, registry), bus, limiter, inflight: 0, draining: false };
  const server = createServer(
    {
      // Slowloris: headers must arrive within the request timeout (Node answers 408 itself).
      headersTimeout: profile.timeouts.request,
      requestTimeout: 0,
      // Node checks header deadlines on this interval (30 s by default), so it bounds how late a cut comes.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, profile.timeouts.request / 2)),
      keepAliveTimeout: 65_000,
      noDelay: true,
    },
    createHandler(state),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    const body = JSON.stringify({
      error: {
        message: status.slice(4).toLowerCase(),
        type: 'invalid_request_error',
        param: null,
        code: status.startsWith('408') ? 'request_timeout' : 'invalid_request',
      },
    });
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  const url = await listen(server, listenAt);
  return {
    state,
    server,
    url,
    reload(next) {
      state.runtime = new Runtime(next, registry);
    },
    async drain(timeoutMs) {
      state.draining = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const deadline = Date.now() + timeoutMs;
      while (state.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      server.closeAllConnections();
      await closed;
      await registry.close();
      await limiter.close();
      await stopTokenWorker();
    },
  };
}
