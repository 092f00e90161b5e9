/**
 * The admin surface (contract §4): /metrics, /aigw/stats, /aigw/events, /healthz, and POST /aigw/reset
 * (the TUI's `r`). Everything here subscribes to the bus; nothing calls back into the request path.
 */
import type { Server } from 'node:http';
import type { EventBus } from '../events/bus.js';
import type { Runtime } from '../gateway/runtime.js';
import { createAdminServer } from './admin-server.js';
import { EventStream } from './event-stream.js';
import { GatewayMetrics, type LabelScope } from './metrics.js';
import { StatsCollector } from './stats.js';

export interface AdminSources {
  runtime: () => Runtime;
  bus: EventBus;
  inflight: () => number;
}

const scopes = new WeakMap<Runtime, LabelScope>();

function scopeOf(rt: Runtime): LabelScope {
  let s = scopes.get(rt);
  if (!s) {
    const upstream = new Set<string>();
    for (const r of rt.routes.values())
      for (const g of [r.group, ...r.match.map((m) => m.group)]) for (const t of g.targets) upstream.add(t.upstreamModel);
    s = {
      models: new Set(rt.routes.keys()),
      backends: new Set(rt.backends.keys()),
      tenants: new Set(rt.tenants.tenants.keys()),
      upstreamModels: upstream,
    };
    scopes.set(rt, s);
  }
  return s;
}

export interface Admin {
  server: Server;
  metrics: GatewayMetrics;
  stats: StatsCollector;
  events: EventStream;
  close(): void;
}

export function createAdmin(src: AdminSources, key: string | undefined): Admin {
  const metrics = new GatewayMetrics(scopeOf(src.runtime()), src.inflight);
  metrics.attach(src.bus);
  src.bus.subscribe((e) => e.type === 'reload' && metrics.setScope(scopeOf(src.runtime())));
  const stats = new StatsCollector(src.runtime);
  stats.attach(src.bus);
  const events = new EventStream(src.bus, () => metrics.eventDrops.inc([]));
  const json = (res: import('node:http').ServerResponse, body: string) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  const server = createAdminServer(
    {
      '/healthz': (_q, res) => json(res, '{"status":"ok"}'),
      '/metrics': (_q, res) => {
        const body = metrics.render();
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) })
          .end(body);
      },
      '/aigw/stats': (_q, res) => json(res, JSON.stringify(stats.snapshot())),
      '/aigw/events': (req, res) => events.handle(req, res),
      '/aigw/reset': (req, res) => {
        if (req.method !== 'POST') return res.writeHead(405, { allow: 'POST' }).end();
        stats.reset();
        metrics.reset();
        json(res, '{"ok":true}');
      },
    },
    key,
  );
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
