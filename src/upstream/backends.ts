/**
 * Backends at run time: one undici Pool each (keep-alive, bounded connections, the profile's timeouts)
 * and its health. Pools and health outlive a reload when the backend's settings are unchanged, so a
 * reload neither drops warm connections nor forgets an ejection.
 */
import { Pool } from 'undici';
import { BackendHealth } from './health.js';
import { ConnectionSlots, type SlotLimits } from './slots.js';
import type { BackendConfig, Profile } from '../profile/schema.js';

export interface BackendRuntime {
  readonly name: string;
  readonly pool: Pool;
  /** Path prefix of the base URL (`/openai` in `http://host/openai`), without a trailing slash. */
  readonly basePath: string;
  /** The API it speaks (backends.X.kind): its paths, its credential header and whether bodies are translated. */
  readonly kind: BackendConfig['kind'];
  /** kind anthropic: the anthropic-version the gateway speaks to it (a pass-through client may send its own). */
  readonly anthropicVersion: string;
  /** kind azure-openai: the deployment in its paths (else the target's upstream model), and the api-version. */
  readonly deployment: string | undefined;
  readonly apiVersion: string | undefined;
  /** The backend's credential and extra headers, as a flat [name, value, …] array. */
  readonly headers: readonly string[];
  readonly health: BackendHealth;
  /** Connections in use and the bounded wait for one (upstream/slots.ts). */
  readonly slots: ConnectionSlots;
}

/** Idle upstream sockets are closed before the backend's own 5 s keep-alive (uvicorn's) can race us. */
const KEEP_ALIVE_MS = 4000;

/** `pool.connections`, or the older `maxConnections`. */
export function connectionsOf(b: BackendConfig): number {
  return b.pool.connections ?? b.maxConnections;
}

function slotLimits(b: BackendConfig, p: Profile): SlotLimits {
  // A queued request's wait counts against its first-byte timeout, so it can never wait longer than that.
  return { connections: connectionsOf(b), queue: b.pool.queue, queueTimeoutMs: Math.min(b.pool.queueTimeout, p.timeouts.firstByte) };
}

function keyOf(b: BackendConfig, p: Profile): string {
  const r = p.resilience;
  return JSON.stringify([
    b.url,
    connectionsOf(b),
    p.timeouts.connect,
    p.timeouts.firstByte,
    p.timeouts.idle,
    r.consecutiveFailures,
    r.cooldown,
    r.maxCooldown,
  ]);
}

export class BackendRegistry {
  private entries = new Map<string, { key: string; backend: BackendRuntime }>();

  /** The runtimes for a profile's backends, reusing unchanged ones; retired pools close once drained. */
  update(profile: Profile): Map<string, BackendRuntime> {
    const next = new Map<string, { key: string; backend: BackendRuntime }>();
    for (const [name, cfg] of Object.entries(profile.backends)) {
      const key = keyOf(cfg, profile);
      const prev = this.entries.get(name);
      next.set(
        name,
        prev && prev.key === key ? { key, backend: refreshed(prev.backend, cfg, profile) } : { key, backend: create(name, cfg, profile) },
      );
    }
    for (const [name, e] of this.entries) {
      if (next.get(name)?.backend.pool !== e.backend.pool) void e.backend.pool.close().catch(() => {});
    }
    this.entries = next;
    return new Map([...next].map(([n, e]) => [n, e.backend]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.backend.pool.close().catch(() => {})));
    this.entries.clear();
  }
}

/** Extra headers, then the credential in the header the backend's API reads it from. */
function backendHeaders(cfg: BackendConfig): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(cfg.headers ?? {})) out.push(k.toLowerCase(), v);
  if (!cfg.apiKey) return out;
  if (cfg.kind === 'anthropic') out.push('x-api-key', cfg.apiKey);
  else if (cfg.kind === 'azure-openai') out.push('api-key', cfg.apiKey);
  else out.push('authorization', `Bearer ${cfg.apiKey}`);
  return out;
}

type ApiSettings = Pick<BackendRuntime, 'kind' | 'anthropicVersion' | 'deployment' | 'apiVersion' | 'headers'>;

/** What a reload may change in place: the API and its paths, the headers. */
function apiOf(cfg: BackendConfig): ApiSettings {
  const { kind, anthropicVersion, deployment, apiVersion } = cfg;
  return { kind, anthropicVersion, deployment, apiVersion, headers: backendHeaders(cfg) };
}

/** A kept backend with the settings a reload may change in place: its API, headers and queue bounds. */
function refreshed(b: BackendRuntime, cfg: BackendConfig, p: Profile): BackendRuntime {
  b.slots.update(slotLimits(cfg, p));
  return Object.assign(b, apiOf(cfg));
}

function create(name: string, cfg: BackendConfig, p: Profile): BackendRuntime {
  const url = new URL(cfg.url);
  const pool = new Pool(url.origin, {
    connections: connectionsOf(cfg),
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MS,
    headersTimeout: p.timeouts.firstByte,
    bodyTimeout: p.timeouts.idle,
    connect: { timeout: p.timeouts.connect, noDelay: true },
  });
  return {
    name,
    pool,
    basePath: url.pathname.replace(/\/+$/, ''),
    ...apiOf(cfg),
    health: new BackendHealth({
      consecutiveFailures: p.resilience.consecutiveFailures,
      cooldownMs: p.resilience.cooldown,
      maxCooldownMs: p.resilience.maxCooldown,
    }),
    slots: new ConnectionSlots(slotLimits(cfg, p)),
  };
}
