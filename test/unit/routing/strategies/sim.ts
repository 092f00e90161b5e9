/** A closed-loop, discrete-time simulation of a gateway in front of replicas, for strategy tests without sockets. */
import { Rng } from '../../../../src/core/hash.js';
import type { Candidate, RequestFacts } from '../../../../src/routing/strategies/candidate.js';
import type { PricingConfig } from '../../../../src/profile/schema.js';

/** A live candidate: the simulation changes `inflight` and `eligible` as requests start and end. */
export class SimTarget implements Candidate {
  inflight = 0;
  eligible = true;
  /** Time to first token this replica gives now (ms). */
  ttftMs = 100;
  constructor(
    readonly id: string,
    readonly weight = 1,
    readonly pricing?: PricingConfig,
    readonly contextWindow?: number,
  ) {}
}

export const targets = (n: number, weight = 1) => Array.from({ length: n }, (_, i) => new SimTarget(`t${i}`, weight));

export function facts(extra: Partial<RequestFacts> = {}): RequestFacts {
  return { now: 0, promptTokens: 100, maxTokens: 100, blocks: [], ...extra };
}

export interface SimOptions {
  /** Requests started per ms. */
  rate: number;
  /** Simulated duration in ms. */
  durationMs: number;
  /** How long a request holds its slot, ms (default: its target's TTFT × 2). */
  holdMs?: (t: SimTarget, rng: Rng) => number;
  /** Facts of the request started at `now`. */
  factsAt?: (now: number, i: number) => RequestFacts;
  /** Called when a request's first token arrives, e.g. to feed a TTFT tracker. */
  onFirstToken?: (t: SimTarget, ttftMs: number, now: number) => void;
  /** Called once per ms before requests start, to change the world (slow a replica down, eject it). */
  tick?: (now: number) => void;
  seed?: number;
}

export interface Pick {
  at: number;
  target: number;
  /** In flight on each target just after this pick. */
  inflight: number[];
}

/** Runs `choose` for every request and returns each pick with the loads it left behind. */
export function simulate(ts: SimTarget[], choose: (f: RequestFacts, rng: Rng) => number, o: SimOptions): Pick[] {
  const rng = new Rng(o.seed ?? 1);
  const ends: { at: number; target: SimTarget; firstAt: number; ttft: number; fired: boolean }[] = [];
  const picks: Pick[] = [];
  let debt = 0;
  let n = 0;
  for (let now = 0; now < o.durationMs; now++) {
    o.tick?.(now);
    for (let k = ends.length - 1; k >= 0; k--) {
      const e = ends[k]!;
      if (!e.fired && e.firstAt <= now) {
        e.fired = true;
        o.onFirstToken?.(e.target, e.ttft, now);
      }
      if (e.at <= now) {
        e.target.inflight--;
        ends.splice(k, 1);
      }
    }
    for (debt += o.rate; debt >= 1; debt--) {
      const f = o.factsAt ? o.factsAt(now, n) : facts({ now });
      const i = choose({ ...f, now }, rng);
      n++;
      if (i < 0) continue;
      const t = ts[i]!;
      t.inflight++;
      const ttft = t.ttftMs;
      const hold = Math.max(ttft, o.holdMs ? o.holdMs(t, rng) : ttft * 2);
      ends.push({ at: now + hold, target: t, firstAt: now + ttft, ttft, fired: false });
      picks.push({ at: now, target: i, inflight: ts.map((x) => x.inflight) });
    }
  }
  return picks;
}

export function shares(picks: readonly Pick[], n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const p of picks) counts[p.target]!++;
  return counts.map((c) => c / Math.max(1, picks.length));
}
