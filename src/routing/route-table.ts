/**
 * The routing table of one profile: per public model its target groups (the default and `match`
 * overrides), each with its own smooth-weighted selector, and its fallbacks.
 */
import type { BackendRuntime } from '../upstream/backends.js';
import type { ModelConfig, Profile, TargetConfig } from '../profile/schema.js';
import { SmoothWeighted } from './weighted.js';
import { targetSeed } from './sticky.js';

export interface Target {
  readonly backend: BackendRuntime;
  /** The model name sent upstream. */
  readonly upstreamModel: string;
  /** JSON-encoded upstreamModel, ready to splice into a body. */
  readonly upstreamModelJson: string;
  readonly weight: number;
}

export interface TargetGroup {
  readonly targets: readonly Target[];
  readonly weights: readonly number[];
  readonly seeds: readonly number[];
  readonly selector: SmoothWeighted;
}

export interface MatchRule {
  readonly tenant?: string;
  /** Lower-cased header names and their required values. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly group: TargetGroup;
}

export interface ModelRoute {
  readonly name: string;
  readonly group: TargetGroup;
  readonly match: readonly MatchRule[];
  readonly fallbacks: readonly string[];
  readonly stickyHeader?: string;
}

function group(publicName: string, targets: readonly TargetConfig[], backends: ReadonlyMap<string, BackendRuntime>): TargetGroup {
  const ts: Target[] = targets.map((t) => {
    const upstreamModel = t.model ?? publicName;
    return { backend: backends.get(t.backend)!, upstreamModel, upstreamModelJson: JSON.stringify(upstreamModel), weight: t.weight };
  });
  const weights = ts.map((t) => t.weight);
  return { targets: ts, weights, seeds: ts.map((t) => targetSeed(t.backend.name, t.upstreamModel)), selector: new SmoothWeighted(weights) };
}

function route(name: string, m: ModelConfig, backends: ReadonlyMap<string, BackendRuntime>): ModelRoute {
  return {
    name,
    group: group(name, m.targets, backends),
    match: (m.match ?? []).map((r) => ({
      ...(r.when.tenant !== undefined ? { tenant: r.when.tenant } : {}),
      ...(r.when.headers ? { headers: Object.entries(r.when.headers).map(([k, v]) => [k.toLowerCase(), v] as const) } : {}),
      group: group(name, r.targets, backends),
    })),
    fallbacks: m.fallbacks,
    ...(m.sticky ? { stickyHeader: m.sticky.header } : {}),
  };
}

export function buildRouteTable(profile: Profile, backends: ReadonlyMap<string, BackendRuntime>): Map<string, ModelRoute> {
  return new Map(Object.entries(profile.models).map(([name, m]) => [name, route(name, m, backends)]));
}
