/**
 * What the admin surface reads of the gateway: configured names (the only values metric labels take),
 * live per-backend counters, tenants' limits and the admin key — an interface the gateway's runtime
 * implements, so observe/ never imports the gateway.
 */

export interface TargetView {
  readonly backend: string;
  readonly weight: number;
}

export interface BackendView {
  readonly inflight: number;
  readonly ejected: boolean;
}

export interface TenantLimitsView {
  readonly tpm?: number | undefined;
  readonly rpm?: number | undefined;
  readonly concurrency?: number | undefined;
  /** USD per `per` ms. */
  readonly budget?: { readonly usd: number; readonly per: number } | undefined;
}

export interface GatewayView {
  /** The rate-limit window the limiter enforces (tenant usage in /aigw/stats is over the same window). */
  readonly windowMs: number;
  /** Public models and the targets of their default group. */
  readonly models: ReadonlyMap<string, readonly TargetView[]>;
  /** Every upstream model name a route may send. */
  readonly upstreamModels: ReadonlySet<string>;
  readonly backends: ReadonlyMap<string, BackendView>;
  readonly tenants: ReadonlyMap<string, TenantLimitsView>;
  /** When set, admin requests need `Authorization: Bearer <key>` (read per request: a reload rotates it). */
  readonly adminKey: string | undefined;
}
