/**
 * The routing scenarios' own fleets: a profile of mock vLLM backends behind one public model, written here
 * and started once per strategy (target.ts: the mocks in one process, `aigw serve` in another, free ports),
 * so strategies are compared on identical fleets in one run, whatever target the bench was given. Also
 * what those scenarios read back: the mocks' prefill accounts and the gateway's in-flight counts.
 */
import { parseProfile } from '../profile/load.js';
import { adminHeaders, type BenchContext, type BenchTarget } from './context.js';
import { type StartedProfile, startProfile } from './target.js';

export interface FleetBackend {
  name: string;
  /** Base time to first token, ms. */
  ttftMs: number;
  tokensPerSecond: number;
  /** Simulated prefix cache: blocks held, and the prefill paid per uncached prompt token (ms). */
  prefixCache?: { blocks: number; prefillPerToken: number };
}

export interface FleetTarget {
  backend: string;
  weight?: number;
  pricing?: { input: number; cachedInput?: number; output: number };
  contextWindow?: number;
}

export interface FleetSpec {
  /** The public model the fleet serves (the bench's --model). */
  model: string;
  /** The model name the mocks serve (sent upstream). */
  upstreamModel: string;
  strategy: string;
  backends: readonly FleetBackend[];
  targets: readonly FleetTarget[];
}

/** The profile document of a fleet (JSON is YAML: it goes through the same loader as any profile). */
export function fleetDocument(f: FleetSpec): Record<string, unknown> {
  const backends: Record<string, unknown> = {};
  for (const b of f.backends) {
    const mock: Record<string, unknown> = {
      kind: 'vllm',
      models: [f.upstreamModel],
      ttft: `${b.ttftMs}ms`,
      tokensPerSecond: b.tokensPerSecond,
    };
    if (b.prefixCache) mock.prefixCache = { blocks: b.prefixCache.blocks, prefillPerToken: `${b.prefixCache.prefillPerToken}ms` };
    backends[b.name] = { url: 'http://127.0.0.1:0', mock };
  }
  return {
    version: 1,
    admin: { listen: '127.0.0.1:0' },
    backends,
    models: { [f.model]: { strategy: f.strategy, targets: f.targets.map((t) => ({ model: f.upstreamModel, ...t })) } },
  };
}

export async function startFleet(f: FleetSpec): Promise<StartedProfile> {
  const document = fleetDocument(f);
  const file = `(${f.strategy} fleet)`;
  const r = parseProfile(JSON.stringify(document), file, {});
  if (!r.ok) throw new Error(`${file}: ${r.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return startProfile({ file, profile: r.profile, document });
}

/** The context the scenario's load uses against one fleet: its gateway, no key, no pacing. */
export function fleetContext(ctx: BenchContext, target: BenchTarget): BenchContext {
  return { ...ctx, target, apiKey: undefined, limitedKey: undefined, pacer: undefined };
}

export interface PrefillAccount {
  /** Prompt tokens computed, and served from the prefix caches, over every mock of the fleet. */
  computed: number;
  saved: number;
}

/** The mocks' own prefill counts (/mock/stats prefixCache), summed. */
export async function prefillOf(mocks: Readonly<Record<string, string>>): Promise<PrefillAccount> {
  let computed = 0;
  let saved = 0;
  for (const url of Object.values(mocks)) {
    const s = (await (await fetch(`${url}/mock/stats`)).json()) as {
      prefixCache?: { prefillTokens?: { computed?: number; saved?: number } };
    };
    computed += Number(s.prefixCache?.prefillTokens?.computed ?? 0);
    saved += Number(s.prefixCache?.prefillTokens?.saved ?? 0);
  }
  return { computed, saved };
}

/** Changes a mock's pace while it runs (`POST /mock/control`, e.g. `{ slowdown: 5 }` or `{ reset: true }`). */
export async function controlMock(url: string, body: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${url}/mock/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`mock control at ${url} answered ${r.status}: ${(await r.text()).slice(0, 200)}`);
}

/**
 * Samples the gateway's in-flight requests per backend (/aigw/stats) every `everyMs` until stopped: the
 * bounded-load check reads how far any backend went over its share.
 */
export function sampleInflight(target: BenchTarget, model: string, everyMs = 100): { stop(): Promise<number[][]> } {
  const samples: number[][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await fetch(`${target.admin}/aigw/stats`, { headers: adminHeaders(target) });
        const s = (await r.json()) as { models?: Record<string, { backends?: Record<string, { inflight?: number }> }> };
        const backends = s.models?.[model]?.backends ?? {};
        samples.push(Object.values(backends).map((b) => Number(b.inflight ?? 0)));
      } catch {
        /* a sample lost is a sample lost */
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/**
 * The bounded-load check over in-flight samples (those with at least one request in flight per backend; the
 * rest say nothing about balance): the share of samples in which the busiest backend held more than
 * ⌈factor × in flight / backends⌉ — what the prefix strategy's rule lets a backend of equal weight hold —,
 * the busiest backend's time-averaged in-flight requests relative to the mean (1 = even), and the largest
 * share of all in flight one backend held at any sample. Null without samples.
 */
export function loadBalance(
  samples: readonly number[][],
  factor: number,
): { overBound: number; loadFactor: number; maxShare: number } | null {
  const sums: number[] = [];
  let total = 0;
  let counted = 0;
  let over = 0;
  let maxShare = 0;
  for (const s of samples) {
    const t = s.reduce((a, b) => a + b, 0);
    if (s.length === 0 || t < s.length) continue;
    s.forEach((v, i) => {
      sums[i] = (sums[i] ?? 0) + v;
    });
    total += t;
    counted++;
    const busiest = Math.max(...s);
    if (busiest > Math.ceil((factor * t) / s.length)) over++;
    maxShare = Math.max(maxShare, busiest / t);
  }
  if (counted === 0) return null;
  return { overBound: over / counted, loadFactor: Math.max(...sums) / (total / sums.length), maxShare };
}

/**
 * Runs each strategy's fleet in turn. Once the run is interrupted (Ctrl-C) the strategies not yet started are
 * left out rather than compared on nothing; the one running when it came reports what it measured.
 */
export async function eachStrategy<T>(
  ctx: BenchContext,
  strategies: readonly string[],
  run: (strategy: string) => Promise<T>,
): Promise<T[]> {
  const runs: T[] = [];
  for (const s of strategies) {
    if (ctx.signal?.aborted && runs.length) break;
    runs.push(await run(s));
  }
  return runs;
}
