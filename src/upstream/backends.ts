/**
 * Backends at run time: one HTTP/1.1 pool each (upstream/h1-pool.ts: keep-alive, bounded connections, the profile's timeouts)
 * and its health. A pool outlives a reload when its settings are unchanged, so warm connections are kept;
 * its connection slots and health outlive any reload that keeps the backend's URL, so a new pool (new
 * timeouts or connection count) neither forgets an ejection nor lets the old pool's streams stop counting.
 */
import { trimEndRun } from '../core/trim-run.js';
import { BackendHealth, type OutlierPolicy } from './health.js';
import { ConnectionSlots, type SlotLimits } from './slots.js';
import { H1Pool } from './h1-pool.js';
import type { BackendConfig, Profile } from '../profile/schema.js';

export interface BackendRuntime {
  readonly name: string;
  /**
   * Its base URL as the profile gives it: the server it names. What is learnt of a server (routing's history of it, its
   * health) is of this URL; a reload that changes it starts afresh.
   */
  readonly url: string;
  readonly pool: H1Pool;
  /** Path prefix of the base URL (`/openai` in `http://host/openai`), without a trailing slash. */
  readonly basePath: string;
  /** The base URL's host name, lower case (`api.openai.com`): what a translation may tell OpenAI's own API by. */
  readonly host: string;
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
  // (timeouts.firstByte 0 is none: then only the queue's own bound.)
  const firstByte = p.timeouts.firstByte > 0 ? p.timeouts.firstByte : Number.POSITIVE_INFINITY;
  return { connections: connectionsOf(b), queue: b.pool.queue, queueTimeoutMs: Math.min(b.pool.queueTimeout, firstByte) };
}

function outlierPolicy(p: Profile): OutlierPolicy {
  const r = p.resilience;
  return { consecutiveFailures: r.consecutiveFailures, cooldownMs: r.cooldown, maxCooldownMs: r.maxCooldown };
}

/** What a pool fixes when it is built: a change of any of it needs a new pool. */
function poolKeyOf(b: BackendConfig, p: Profile): string {
  return JSON.stringify([b.url, connectionsOf(b), p.timeouts.connect, p.timeouts.firstByte, p.timeouts.idle]);
}

export class BackendRegistry {
  private entries = new Map<string, { key: string; url: string; backend: BackendRuntime }>();

  /**
   * The runtimes for a profile's backends: an unchanged pool is reused; a backend whose URL is unchanged keeps
   * its slots and health whatever else changed. A replaced pool is not closed here: the runtimes that use it hold
   * it (gateway/shared-holds.ts), and the last to let go closes it — its requests may still dispatch on it.
   */
  update(profile: Profile): Map<string, BackendRuntime> {
    const next = new Map<string, { key: string; url: string; backend: BackendRuntime }>();
    for (const [name, cfg] of Object.entries(profile.backends)) {
      const key = poolKeyOf(cfg, profile);
      const prev = this.entries.get(name);
      const kept = prev && prev.url === cfg.url ? prev.backend : undefined;
      const backend = prev && prev.key === key ? refreshed(prev.backend, cfg, profile) : create(name, cfg, profile, kept);
      next.set(name, { key, url: cfg.url, backend });
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

/**
 * A kept backend under a reload: its pool, slots and health (process-lived, their bounds and policy updated in place),
 * with the API and headers of the new profile in an object of its own. Written into the object the runtime before it
 * holds, they reached that runtime's requests still to dispatch (one waiting for a connection, a failover): sent with
 * the new key, their answers scrubbed of the old one — a backend that echoed its credential gave the client the new key.
 */
function refreshed(b: BackendRuntime, cfg: BackendConfig, p: Profile): BackendRuntime {
  b.slots.update(slotLimits(cfg, p));
  b.health.update(outlierPolicy(p));
  return { ...b, ...apiOf(cfg) };
}

/**
 * A backend with a new pool. `kept` (the same URL before this reload) lends its slots and health, updated in
 * place: requests still on the old pool hold slots in them until they end.
 */
function create(name: string, cfg: BackendConfig, p: Profile, kept?: BackendRuntime): BackendRuntime {
  const url = new URL(cfg.url);
  const pool = new H1Pool(url.origin, {
    connections: connectionsOf(cfg),
    keepAliveTimeout: KEEP_ALIVE_MS,
    headersTimeout: p.timeouts.firstByte,
    bodyTimeout: p.timeouts.idle,
    connectTimeout: p.timeouts.connect,
  });
  const backend: BackendRuntime = {
    name,
    url: cfg.url,
    pool,
    basePath: trimEndRun(url.pathname, '/'),
    host: url.hostname,
    ...apiOf(cfg),
    health: kept ? kept.health : new BackendHealth(outlierPolicy(p)),
    slots: kept ? kept.slots : new ConnectionSlots(slotLimits(cfg, p)),
  };
  if (kept) {
    backend.slots.update(slotLimits(cfg, p));
    backend.health.update(outlierPolicy(p));
  }
  return backend;
}
