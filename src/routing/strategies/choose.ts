/**
 * The canary contract, for every strategy: targets of equal weight in one target list form a group of
 * interchangeable replicas; smooth weighted round-robin picks a group by the summed weight of its healthy
 * members, then the model's strategy picks within the group. So weights hold BETWEEN groups exactly as
 * `weighted` holds them (a 95/5 canary stays 95/5 by requests, under every strategy), and the smart choice
 * happens WITHIN a group. `weighted` itself is one flat rotation over all targets, as it always was.
 * Failover order, fallbacks and ejection are the plan's business and unchanged.
 */
import type { StrategyName } from '../../profile/schema.js';
import { Cooling } from '../cooling.js';
import { PeakEwma } from '../peak-ewma.js';
import { PrefixIndex } from '../prefix-index.js';
import { type Candidate, type RequestFacts, type Rng, usable } from './candidate.js';
import { pickCost } from './cost.js';
import { pickLatency } from './latency.js';
import { pickLeastRequest } from './least-request.js';
import { PREFIX_POLICY, type PrefixPolicy, pickPrefix } from './prefix.js';
import { pickWeighted, smoothPick } from './weighted.js';

/** State shared by every target list of a gateway: keyed by candidate id, it survives across lists. */
export interface RoutingState {
  readonly ttft: PeakEwma;
  readonly prefix: PrefixIndex;
  readonly prefixPolicy: PrefixPolicy;
  /** Targets demoted behind their peers for a backend's declared overload (cooling.ts). */
  readonly cooling: Cooling;
}

export function createRoutingState(overrides: Partial<RoutingState> = {}): RoutingState {
  return { ttft: new PeakEwma(), prefix: new PrefixIndex(), prefixPolicy: PREFIX_POLICY, cooling: new Cooling(), ...overrides };
}

/**
 * One target list (a model's `targets`, or a `match` rule's) with its rotations. Built once per list and
 * profile; `candidates` should be long-lived views whose `inflight` and `eligible` read live values, so a
 * request allocates nothing here.
 */
export class TargetList {
  /** Positions in `candidates` of each group's members, groups in order of first appearance. */
  readonly members: readonly (readonly number[])[];
  readonly groups: readonly (readonly Candidate[])[];
  private readonly groupTurn: Float64Array;
  private readonly groupWeights: Float64Array;
  private readonly flatTurn: Float64Array;

  constructor(readonly candidates: readonly Candidate[]) {
    const byWeight = new Map<number, number[]>();
    candidates.forEach((c, i) => {
      if (c.weight <= 0) return;
      const g = byWeight.get(c.weight);
      if (g) g.push(i);
      else byWeight.set(c.weight, [i]);
    });
    this.members = [...byWeight.values()];
    this.groups = this.members.map((m) => m.map((i) => candidates[i]!));
    this.groupTurn = new Float64Array(this.members.length);
    this.groupWeights = new Float64Array(this.members.length);
    this.flatTurn = new Float64Array(candidates.length);
  }

  /**
   * Takes `previous`'s place in its rotations when it is this list as it was — the same targets with the same weights,
   * in the same order — as a reload that left the list alone builds it anew. From fresh turns the heaviest target is
   * picked first and the lighter ones only once their turns have grown past it: a reload every few requests (another
   * model's or a tenant's change) kept a 9:1 canary from ever being picked. A list whose weights changed starts
   * fresh, at its new split at once.
   */
  continueFrom(previous: TargetList): void {
    const a = this.candidates;
    const b = previous.candidates;
    if (a.length !== b.length) return;
    for (let i = 0; i < a.length; i++) if (a[i]!.id !== b[i]!.id || a[i]!.weight !== b[i]!.weight) return;
    this.groupTurn.set(previous.groupTurn);
    this.flatTurn.set(previous.flatTurn);
  }

  /** The group for this request: smooth weighted round-robin over each group's healthy weight. */
  pickGroup(): number {
    for (let g = 0; g < this.groups.length; g++) {
      let w = 0;
      for (const c of this.groups[g]!) if (usable(c)) w += c.weight;
      this.groupWeights[g] = w;
    }
    return smoothPick(this.groupTurn, this.groupWeights);
  }

  /** `weighted`: one rotation over every target. */
  pickFlat(): number {
    return pickWeighted(this.candidates, this.flatTurn, NO_FACTS, NO_RNG);
  }
}

const NO_FACTS: RequestFacts = Object.freeze({ now: 0, promptTokens: 0, maxTokens: 0, blocks: [] });
const NO_RNG: Rng = { float: () => 0 };

/** Picks within one group of equal-weight replicas. */
function pickWithin(strategy: StrategyName, group: readonly Candidate[], state: RoutingState, facts: RequestFacts, rng: Rng): number {
  switch (strategy) {
    case 'least-request':
      return pickLeastRequest(group, undefined, facts, rng);
    case 'latency':
      return pickLatency(group, state.ttft, facts, rng);
    case 'prefix':
      return pickPrefix(group, { index: state.prefix, policy: state.prefixPolicy }, facts, rng);
    case 'cost':
      return pickCost(group, undefined, facts, rng);
    case 'weighted':
      return -1; // never reached: weighted is flat
  }
}

/**
 * The target for one request: its position in `list.candidates`, or -1 when no target is usable
 * (503 no_healthy_backend). Deterministic given the state, the facts and the rng's sequence.
 */
export function chooseTarget(strategy: StrategyName, list: TargetList, state: RoutingState, facts: RequestFacts, rng: Rng): number {
  if (strategy === 'weighted') return list.pickFlat();
  const g = list.pickGroup();
  if (g < 0) return -1;
  const k = pickWithin(strategy, list.groups[g]!, state, facts, rng);
  return k < 0 ? -1 : list.members[g]![k]!;
}
