/**
 * The admin surface (docs/contract.md §4): /metrics, /aigw/stats, /aigw/events, /healthz, and POST /aigw/reset
 * (the TUI's `r`). Everything here subscribes to the bus; nothing calls back into the request path.
 */
import type { Server } from 'node:http';
import type { EventBus } from '../events/bus.js';
import { aigwError } from '../core/errors.js';
import { type AdminRoute, createAdminServer, sendAdminError } from './admin-server.js';
import { EventStream } from './event-stream.js';
import { GatewayMetrics, type LabelScope } from './metrics.js';
import type { GatewayView } from './gateway-view.js';
import { type InFlightRequest, StatsCollector } from './stats.js';

export interface AdminSources {
  /** The current runtime's view (a reload replaces it). */
  view: () => GatewayView;
  bus: EventBus;
  inflight: () => number;
  /** The requests in flight now, whose tenants' limits count them from their admission (/aigw/stats counts them too). */
  inFlightRequests?: () => Iterable<InFlightRequest>;
  /** Headers and body of an admin request must arrive within this (default 30 s). */
  requestTimeoutMs?: number;
  /** How long an answer's bytes may wait unread, per MiB of them, before the connection goes (timeouts.clientStall; 0: never). */
  clientStallMs?: () => number;
  /** Connections the listener keeps at once; past it, a new one is closed as it is accepted (node:http). */
  maxConnections?: number;
}

const scopes = new WeakMap<GatewayView, LabelScope>();

/** The label values metrics may take for one runtime (computed once per view). */
function scopeOf(view: GatewayView): LabelScope {
  let s = scopes.get(view);
  if (!s) {
    s = {
      models: new Set(view.models.keys()),
      backends: new Set(view.backends.keys()),
      tenants: new Set(view.tenants.keys()),
      upstreamModels: view.upstreamModels,
    };
    scopes.set(view, s);
  }
  return s;
}

/**
 * The label values of every profile served so far: `seen` with `next`'s names added (`seen` itself when it holds them
 * all). A request in flight across a reload finishes on the profile it began with (contract §1), and is counted at its
 * end: held to the new profile's names alone, a long stream of a model alias, backend or tenant the reload renamed had
 * its tokens, spend and status counted under `unknown`/`none`. Still only configured names, so still bounded.
 */
function widened(seen: LabelScope, next: LabelScope): LabelScope {
  const grown = (a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> => {
    for (const name of b) if (!a.has(name)) return new Set([...a, ...b]);
    return a;
  };
  const models = grown(seen.models, next.models);
  const backends = grown(seen.backends, next.backends);
  const tenants = grown(seen.tenants, next.tenants);
  const upstreamModels = grown(seen.upstreamModels, next.upstreamModels);
  const same = models === seen.models && backends === seen.backends && tenants === seen.tenants;
  return same && upstreamModels === seen.upstreamModels ? seen : { models, backends, tenants, upstreamModels };
}

export interface Admin {
  server: Server;
  metrics: GatewayMetrics;
  stats: StatsCollector;
  events: EventStream;
  close(): void;
}

export function createAdmin(src: AdminSources): Admin {
  let scope = scopeOf(src.view());
  const metrics = new GatewayMetrics(scope, src.inflight);
  metrics.attach(src.bus);
  src.bus.subscribe((e) => {
    if (e.type !== 'reload') return;
    const next = widened(scope, scopeOf(src.view()));
    if (next !== scope) metrics.setScope((scope = next));
  });
  const stats = new StatsCollector(src.view, src.inflight, src.inFlightRequests);
  stats.attach(src.bus);
  const events = new EventStream(
    src.bus,
    () => metrics.eventDrops.inc([]),
    () => src.view().adminKey,
  );
  /**
   * A path that only reads, answered for GET and HEAD alone (as the gateway listener's /healthz): any method got its
   * 200 and body, so `POST /aigw/stats` — a guess at zeroing the figures — looked like success and reset nothing.
   */
  const readOnly =
    (route: AdminRoute): AdminRoute =>
    (req, res) => {
      if (req.method === 'GET' || req.method === 'HEAD') return route(req, res);
      res.setHeader('allow', 'GET, HEAD');
      sendAdminError(res, aigwError('method_not_allowed', `${req.method} is not allowed here; use GET`));
    };
  const json = (res: import('node:http').ServerResponse, body: string) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  const server = createAdminServer(
    {
      '/healthz': readOnly((_q, res) => json(res, '{"status":"ok"}')),
      '/metrics': readOnly((_q, res) => {
        const body = metrics.render();
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) })
          .end(body);
      }),
      '/aigw/stats': readOnly((_q, res) => json(res, JSON.stringify(stats.snapshot()))),
      '/aigw/events': (req, res) => events.handle(req, res),
      '/aigw/reset': (req, res) => {
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          return sendAdminError(res, aigwError('method_not_allowed', `${req.method} is not allowed here; use POST`));
        }
        stats.reset();
        metrics.reset();
        json(res, '{"ok":true}');
      },
    },
    () => src.view().adminKey,
    src.requestTimeoutMs,
    src.clientStallMs,
  );
  if (src.maxConnections !== undefined) server.maxConnections = src.maxConnections;
  return {
    server,
    metrics,
    stats,
    events,
    close() {
      events.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
