/**
 * The routing table of one profile: per public model its target lists (the default and `match`
 * overrides), each a strategies/choose.ts TargetList of long-lived targets, its strategy, escalation rules
 * and fallbacks, and the prices a request to it could reach (for budget reservations).
 */
import type { EscalationConfig, ModelConfig, PricingConfig, Profile, StrategyName, TargetConfig } from '../profile/schema.js';
import { DEFAULT_MAX_TOKENS } from '../translate/openai-anthropic.js';
import type { BackendRuntime } from '../upstream/backends.js';
import { targetSeed } from './sticky.js';
import type { Candidate } from './strategies/candidate.js';
import { TargetList } from './strategies/choose.js';

/**
 * The instant eligibility is judged at, shared by every target of one table: the plan sets it once per
 * request (or to +Infinity in panic mode, which ignores ejection), so a target's `eligible` getter needs no
 * argument and a strategy allocates nothing to read it.
 */
export interface RouteClock {
  now: number;
  /**
   * A half-open backend's probe under way leaves it out only while another target can take the request: when none
   * can, the plan is made again with this set (a backend whose probe is out is not ejected), before panic mode — which
   * would send it to backends still ejected.
   */
  pastProbes: boolean;
}

/** One target of one list: a strategy's Candidate whose load and health are read live from its backend. */
export class Target implements Candidate {
  /**
   * The same backend, URL and upstream model have the same id in every list and across reloads: what routing learns by
   * it (time to first token, the prefix index, a declared overload) is of the server the URL names. Keyed by the
   * backend's name alone, a reload that pointed it at another server kept the old one's overload (the new one went
   * behind its peers until resilience.maxCooldown) and slowness (`latency` sent it nothing for tens of seconds).
   */
  readonly id: string;
  /** JSON-encoded upstreamModel, ready to splice into a body. */
  readonly upstreamModelJson: string;
  /** Its rendezvous-hashing seed (sticky sessions). */
  readonly seed: number;
  /**
   * The targets of its list with its weight, itself included: the replicas a strategy weighs it against, and
   * so what a failed attempt of its is judged against (feedback.ts). Set once, when its list is built.
   */
  replicas: readonly Target[] = [];
  /**
   * The profile sends its backend another upstream model too (a target of weight > 0 anywhere): a 404 saying this
   * target's model is not served there says nothing of the backend's health (attempt-policy.ts modelOnly). Set once,
   * when the table is built.
   */
  backendServesOthers = false;
  /**
   * The endpoints this target has answered since its list was built (a strategy that reads time to first token only):
   * a replica's 404 for a path one of its peers serves is its own URL at fault, not the client's choice (feedback.ts).
   */
  served: Set<string> | undefined;

  constructor(
    readonly backend: BackendRuntime,
    /** The model name sent upstream. */
    readonly upstreamModel: string,
    readonly weight: number,
    readonly pricing: PricingConfig | undefined,
    readonly contextWindow: number | undefined,
    /** Its list's strategy reads time-to-first-token history: the attempt stage feeds it. */
    readonly tracksTtft: boolean,
    private readonly clock: RouteClock,
  ) {
    this.id = `${backend.name}\u0000${backend.url}\u0000${upstreamModel}`;
    this.upstreamModelJson = JSON.stringify(upstreamModel);
    this.seed = targetSeed(backend.name, upstreamModel);
  }

  get eligible(): boolean {
    return this.backend.health.available(this.clock.now, this.clock.pastProbes);
  }

  /** Requests on the backend's connections and waiting for one (every model it serves shares them). */
  get inflight(): number {
    return this.backend.slots.inUse + this.backend.slots.queued;
  }
}

export interface TargetGroup {
  readonly targets: readonly Target[];
  /** A target that can be picked (weight > 0) speaks Anthropic's API. */
  readonly anthropic: boolean;
  readonly weights: readonly number[];
  readonly seeds: readonly number[];
  readonly list: TargetList;
}

/** A route's default list and its match rules' lists. */
export interface RouteGroups {
  readonly group: TargetGroup;
  readonly match: readonly MatchRule[];
}

export interface MatchRule {
  readonly tenant?: string;
  /** Lower-cased header names and their required values. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly group: TargetGroup;
}

export interface ModelRoute {
  readonly name: string;
  readonly strategy: StrategyName;
  readonly group: TargetGroup;
  readonly match: readonly MatchRule[];
  readonly fallbacks: readonly string[];
  readonly stickyHeader?: string;
  readonly escalate?: readonly EscalationConfig[];
  /** What the route stage must compute for this route's plan (itself and its fallbacks). */
  readonly needs: RouteNeeds;
  /**
   * The distinct prices of every priced target a request to this model could reach — its lists, its
   * fallbacks, its escalations and theirs — so admission can reserve the most expensive outcome.
   */
  readonly reachablePrices: readonly PricingConfig[];
  /**
   * The max_tokens a translation sends for an OpenAI request that names none, when a target some request could
   * reach speaks Anthropic's API (which requires one): what such a request can produce there, so admission
   * reserves it — when this request can reach one (routing/plan.ts reachesAnthropic).
   */
  readonly translatedMaxTokens: number | undefined;
  /** This route, its fallbacks and its escalations' routes (and theirs), as the plan resolves them. */
  readonly reachable: readonly RouteGroups[];
  /** The clock every target of this table reads its eligibility at (one object per table). */
  readonly clock: RouteClock;
}

export interface RouteNeeds {
  /** Any facts at all: a strategy other than `weighted`, or escalation rules. */
  facts: boolean;
  /** Prompt blocks (strategy prefix). */
  blocks: boolean;
  /** The prompt's estimated size (strategy cost, or escalation rules). */
  promptSize: boolean;
}

function group(
  publicName: string,
  targets: readonly TargetConfig[],
  backends: ReadonlyMap<string, BackendRuntime>,
  strategy: StrategyName,
  clock: RouteClock,
): TargetGroup {
  const ts = targets.map(
    (t) => new Target(backends.get(t.backend)!, t.model ?? publicName, t.weight, t.pricing, t.contextWindow, strategy === 'latency', clock),
  );
  for (const t of ts) t.replicas = ts.filter((u) => u.weight === t.weight);
  return {
    targets: ts,
    anthropic: ts.some((t) => t.weight > 0 && t.backend.kind === 'anthropic'),
    weights: ts.map((t) => t.weight),
    seeds: ts.map((t) => t.seed),
    list: new TargetList(ts),
  };
}

function lists(r: { group: TargetGroup; match: readonly MatchRule[] }): TargetGroup[] {
  return [r.group, ...r.match.map((m) => m.group)];
}

type Draft = Omit<ModelRoute, 'needs' | 'reachablePrices' | 'translatedMaxTokens' | 'reachable'>;

function draft(name: string, m: ModelConfig, backends: ReadonlyMap<string, BackendRuntime>, clock: RouteClock): Draft {
  return {
    name,
    strategy: m.strategy,
    group: group(name, m.targets, backends, m.strategy, clock),
    match: (m.match ?? []).map((r) => ({
      ...(r.when.tenant !== undefined ? { tenant: r.when.tenant } : {}),
      ...(r.when.headers ? { headers: Object.entries(r.when.headers).map(([k, v]) => [k.toLowerCase(), v] as const) } : {}),
      group: group(name, r.targets, backends, m.strategy, clock),
    })),
    fallbacks: m.fallbacks,
    clock,
    ...(m.sticky ? { stickyHeader: m.sticky.header } : {}),
    ...(m.escalate ? { escalate: m.escalate } : {}),
  };
}

/** The routes a plan for `r` may use: itself, then its fallbacks (one level, as the plan goes). */
function planned(r: Draft, drafts: ReadonlyMap<string, Draft>): Draft[] {
  const out = [r];
  for (const f of r.fallbacks) {
    const fb = drafts.get(f);
    if (fb) out.push(fb);
  }
  return out;
}

function finish(r: Draft, drafts: ReadonlyMap<string, Draft>): ModelRoute {
  const own = planned(r, drafts);
  const reachable = [...own];
  for (const e of r.escalate ?? []) {
    const to = drafts.get(e.model);
    if (to) reachable.push(...planned(to, drafts));
  }
  const prices = new Map<string, PricingConfig>();
  let anthropic = false;
  for (const d of reachable)
    for (const g of lists(d)) {
      if (g.anthropic) anthropic = true;
      // Keyed by every price: by input/output alone, a target whose cached input is dearer was replaced by one without.
      for (const t of g.targets)
        if (t.pricing && t.weight > 0)
          prices.set(`${t.pricing.input}/${t.pricing.cachedInput}/${t.pricing.cacheWrite}/${t.pricing.output}`, t.pricing);
    }
  return {
    ...r,
    needs: {
      facts: r.escalate !== undefined || own.some((d) => d.strategy !== 'weighted'),
      blocks: own.some((d) => d.strategy === 'prefix'),
      promptSize: r.escalate !== undefined || own.some((d) => d.strategy === 'cost'),
    },
    reachablePrices: [...prices.values()],
    translatedMaxTokens: anthropic ? DEFAULT_MAX_TOKENS : undefined,
    reachable: reachable.map((d) => ({ group: d.group, match: d.match })),
  };
}

/** Notes on each target whether its backend is sent other upstream models too (Target.backendServesOthers). */
function markSharedBackends(drafts: Iterable<Draft>): void {
  const models = new Map<string, Set<string>>();
  const targets: Target[] = [];
  for (const d of drafts)
    for (const g of lists(d))
      for (const t of g.targets) {
        targets.push(t);
        if (t.weight === 0) continue;
        let set = models.get(t.backend.name);
        if (!set) models.set(t.backend.name, (set = new Set()));
        set.add(t.upstreamModel);
      }
  for (const t of targets) {
    const served = models.get(t.backend.name);
    t.backendServesOthers = served !== undefined && (served.size > 1 || !served.has(t.upstreamModel));
  }
}

/**
 * `previous`: the table a reload replaces — each list it holds unchanged (its model's own targets, or the same match
 * rule's) goes on with its rotation (TargetList.continueFrom) rather than starting it again.
 */
export function buildRouteTable(
  profile: Profile,
  backends: ReadonlyMap<string, BackendRuntime>,
  previous?: ReadonlyMap<string, ModelRoute>,
): Map<string, ModelRoute> {
  const clock: RouteClock = { now: 0, pastProbes: false };
  const drafts = new Map(Object.entries(profile.models).map(([name, m]) => [name, draft(name, m, backends, clock)]));
  if (previous) {
    for (const [name, d] of drafts) {
      const was = previous.get(name);
      if (!was) continue;
      d.group.list.continueFrom(was.group.list);
      d.match.forEach((rule, i) => {
        const old = was.match[i];
        if (old) rule.group.list.continueFrom(old.group.list);
      });
    }
  }
  markSharedBackends(drafts.values());
  const table = new Map([...drafts].map(([name, d]) => [name, finish(d, drafts)]));
  return table;
}
