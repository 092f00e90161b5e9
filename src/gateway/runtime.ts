/**
 * Everything derived from one profile, immutable once built: routes, backends, tenants, the limiter, the
 * buffer policy, the admin key and the /v1/models list. A reload builds a new Runtime and swaps it in
 * whole; a request keeps the Runtime it began with. What runtimes share (the limiter, the verifier, the
 * tracer, the backends' pools) is counted in SharedHolds: a retired Runtime lets go of its holds once its
 * last request has settled, and whatever no runtime holds any more is closed. Only process-lived state — the
 * bus, in-flight counters, listeners, backends' connection slots and health — outlives it.
 */
import type { EventBus } from '../events/bus.js';
import type { GatewayView } from '../observe/gateway-view.js';
import type { Profile } from '../profile/schema.js';
import type { RelayPolicy } from '../relay/exchange.js';
import { Rng } from '../core/hash.js';
import { makeScrubber } from '../core/scrub.js';
import { credentialsByBackend, secretsOf } from '../profile/secrets.js';
import { buildRouteTable, type ModelRoute } from '../routing/route-table.js';
import { createRoutingState, type RoutingState } from '../routing/strategies/choose.js';
import type { AdmissionPolicy } from '../tenants/admission.js';
import { TenantDirectory } from '../tenants/keys.js';
import { Limiter } from '../tenants/limiter.js';
import type { BackendRegistry, BackendRuntime } from '../upstream/backends.js';
import { Services } from './services.js';
import { SharedHolds } from './shared-holds.js';

/** The limiter's own settings: when a reload keeps them, the limiter (and its windows) carries over. */
function limiterKey(p: Profile): string {
  return JSON.stringify([p.limits.store ?? null, p.limits.rateWindow]);
}

export class Runtime {
  readonly routes: ReadonlyMap<string, ModelRoute>;
  readonly backends: ReadonlyMap<string, BackendRuntime>;
  readonly relay: RelayPolicy;
  readonly tenants: TenantDirectory;
  readonly view: GatewayView;
  readonly admission: AdmissionPolicy;
  /** What the strategies learn (TTFT history, the prefix index), keyed by target id: it outlives reloads. */
  readonly routing: RoutingState;
  /** The strategies' draws (power of two choices, ties); carried across reloads with the state. */
  readonly rng: Rng;
  readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly modelEntries: ReadonlyMap<string, string>;
  private users = 0;
  private retired = false;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly profile: Profile,
    registry: BackendRegistry,
    readonly limiter: Limiter,
    /** Tracing, JWT, TLS, mtls and identity headers (gateway/services.ts). */
    readonly services: Services,
    /** Who holds the limiter and the services' parts: shared by every runtime of one gateway. */
    readonly holds: SharedHolds,
    previous: Runtime | undefined,
  ) {
    this.routing = previous?.routing ?? createRoutingState();
    this.rng = previous?.rng ?? new Rng((Math.random() * 0x100000000) >>> 0);
    this.backends = registry.update(profile);
    // A pool a reload replaces stays open while this runtime's requests may still use it: one waiting for a
    // connection slot, or failing over to another backend, dispatches on this runtime's pools.
    for (const b of this.backends.values()) holds.hold(b.pool, () => b.pool.close().catch(() => {}));
    // The weighted rotations of the lists this reload leaves as they were go on where they were.
    this.routes = buildRouteTable(profile, this.backends, previous?.routes);
    const l = profile.limits;
    this.relay = {
      buffer: l.responseBuffer,
      maxEventBytes: l.maxEventBytes,
      scrub: makeScrubber(secretsOf(profile)),
      credentials: new Map([...credentialsByBackend(profile)].map(([b, list]) => [b, makeScrubber(list)])),
      firstByteMs: profile.timeouts.firstByte,
    };
    this.tenants = new TenantDirectory(profile);
    this.modelEntries = new Map(Object.keys(profile.models).map((id) => [id, JSON.stringify(modelInfo(id, this.createdAt))]));
    this.admission = { defaultCompletionTokens: l.defaultCompletionTokens, leaseRenewMs: l.store ? l.store.leaseTtl / 3 : undefined };
    this.view = viewOf(this);
  }

  /** A runtime for `profile`, reusing `previous`'s limiter when the limiter's settings did not change. */
  static async create(profile: Profile, registry: BackendRegistry, bus: EventBus, previous?: Runtime): Promise<Runtime> {
    const holds = previous?.holds ?? new SharedHolds();
    const carry = previous && limiterKey(previous.profile) === limiterKey(profile);
    const limiter = carry ? previous.limiter : await Limiter.create(profile, bus, previous?.limiter);
    holds.hold(limiter, () => limiter.close());
    let services: Services;
    try {
      services = await Services.create(profile, holds, previous?.services);
    } catch (e) {
      await holds.drop(limiter);
      throw e;
    }
    return new Runtime(profile, registry, limiter, services, holds, previous);
  }

  /** A request starts on this runtime. */
  acquire(): void {
    this.users++;
  }

  /** Requests that started on this runtime and have not settled yet (their answer gone or not). */
  get inUse(): number {
    return this.users;
  }

  /** A request that started on this runtime has settled. */
  release(): void {
    if (--this.users === 0 && this.retired) void this.close();
  }

  /** Another runtime replaced this one: it lets go of its holds once its requests settle. Idempotent. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    if (this.users === 0) void this.close();
  }

  /**
   * Lets go of the limiter, the services and the backends' pools (on retirement, or at shutdown); each closes
   * when no other runtime holds it. Idempotent: a second call waits for the first.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.holds.drop(this.limiter);
      await this.services.close();
      await Promise.all([...this.backends.values()].map((b) => this.holds.drop(b.pool)));
    })();
    return this.closing;
  }

  /** OpenAI's list shape with Anthropic's page fields, for the models `allowed` says the caller may use. */
  modelList(allowed: (model: string) => boolean): string {
    const items: string[] = [];
    let first: string | undefined;
    let last: string | undefined;
    for (const [id, json] of this.modelEntries) {
      if (!allowed(id)) continue;
      items.push(json);
      first ??= id;
      last = id;
    }
    const page = `"has_more":false,"first_id":${JSON.stringify(first ?? null)},"last_id":${JSON.stringify(last ?? null)}`;
    return `{"object":"list","data":[${items.join(',')}],${page}}`;
  }

  modelEntry(id: string): string | undefined {
    return this.modelEntries.get(id);
  }
}

/**
 * One model's entry, in both APIs' shapes: the gateway serves Anthropic's Messages API beside OpenAI's, and
 * @anthropic-ai/sdk's `models.list()` reads `type`, `display_name` and `created_at` (RFC 3339) from the same path
 * where openai-node reads `object`, `created` (seconds) and `owned_by`.
 */
function modelInfo(id: string, createdSeconds: number): Record<string, unknown> {
  const createdAt = new Date(createdSeconds * 1000).toISOString().replace('.000Z', 'Z');
  return { id, object: 'model', created: createdSeconds, owned_by: 'aigw', type: 'model', display_name: id, created_at: createdAt };
}

function viewOf(rt: Runtime): GatewayView {
  const upstreamModels = new Set<string>();
  const models = new Map<string, { backend: string; weight: number }[]>();
  for (const [name, r] of rt.routes) {
    models.set(
      name,
      r.group.targets.map((t) => ({ backend: t.backend.name, weight: t.weight })),
    );
    for (const g of [r.group, ...r.match.map((m) => m.group)]) for (const t of g.targets) upstreamModels.add(t.upstreamModel);
  }
  const backends = new Map(
    [...rt.backends].map(([name, b]) => [
      name,
      {
        get inflight() {
          return b.slots.inUse;
        },
        get ejected() {
          return b.health.ejected;
        },
      },
    ]),
  );
  const tenants = new Map([...rt.tenants.tenants].map(([name, t]) => [name, t.config.limits ?? {}]));
  return { windowMs: rt.profile.limits.rateWindow, models, upstreamModels, backends, tenants, adminKey: rt.profile.admin.key };
}
