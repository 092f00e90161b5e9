/**
 * `prefix`: does cache-aware routing pay off? The same multi-turn workload — conversations whose turns
 * carry their history, most of them opening with one of a few shared system prompts — against identical
 * fleets of mock vLLM backends with simulated prefix caches, once per strategy (weighted, least-request,
 * prefix by default). Per strategy: the cache hit rate and prefill tokens computed, from the mocks' own
 * counts; TTFT p50/p99 at the client; how far the busiest backend went over the bounded-load allowance.
 * Then prefix against weighted: prefill ratio, tokens saved, TTFT ratio.
 */
import { Rng } from '../core/hash.js';
import { generateText } from '../mock/text.js';
import type { Figures, BenchContext, ScenarioResult } from './context.js';
import { fig, round } from './context.js';
import { runLoad } from './driver.js';
import { eachStrategy, type FleetBackend, loadBalance, prefillOf, sampleInflight, startFleet } from './fleet.js';
import { ROUTING_DEFAULTS, type RoutingOptions } from './routing-options.js';
import { percentile } from './stats-math.js';
import { prepared, type RequestSource } from './workload.js';

const UPSTREAM_MODEL = 'fleet-llama';
/** aigw's bounded-load factor (routing/strategies/prefix.ts): a backend holds at most 1.25× its share. */
export const LOAD_FACTOR = 1.25;
const DEFAULT_STRATEGIES = ['weighted', 'least-request', 'prefix'];
/** Prefill dominates a long prompt's TTFT on a GPU (--routing prefill=, ms a token); decode at 100 tokens/s a stream. */
const MOCK_TTFT_MS = 5;
const MOCK_TOKENS_PER_SECOND = 100;

interface Message {
  role: string;
  content: string;
}

/**
 * Every conversation's turns, interleaved: a conversation's next turn is sent once its previous answer
 * is in (with the history and that answer). Which ready conversation goes next is drawn at random (seeded),
 * as users answer at their own pace — a fixed rotation would let a rotation over the backends send every
 * turn of a conversation to the same one and make `weighted` look cache-aware.
 */
export function conversations(model: string, o: RoutingOptions): { source: RequestSource; total: number } {
  const rng = new Rng(13);
  const slots = Array.from({ length: o.conversations }, (_, c) => {
    const shared = rng.float() < o.shared;
    const system = shared
      ? generateText(`shared system prompt ${c % o.prompts}`, 1, o.system)
      : generateText(`own system prompt ${c}`, 1, o.system);
    const history: Message[] = o.system > 0 ? [{ role: 'system', content: system }] : [];
    return { c, turn: 0, history };
  });
  const ready = [...slots];
  const order = new Rng(17);
  return {
    total: o.conversations * o.turns,
    source: {
      next() {
        if (ready.length === 0) return undefined;
        const at = Math.floor(order.float() * ready.length);
        const slot = ready[at]!;
        ready[at] = ready[ready.length - 1]!;
        ready.pop();
        const user = { role: 'user', content: generateText(`conversation ${slot.c} turn ${slot.turn}`, 2, o.turn) };
        const messages = [...slot.history, user];
        return prepared(
          { model, messages, max_tokens: o.answer, seed: slot.c },
          {
            wantsText: true,
            answered: (_ok, text) => {
              slot.history = [...messages, { role: 'assistant', content: text ?? '' }];
              if (++slot.turn < o.turns) ready.push(slot);
            },
          },
        );
      },
    },
  };
}

interface StrategyRun {
  strategy: string;
  requests: number;
  errors: number;
  ttft: number[];
  /** TTFT p50 of each turn (the first pays for its system prompt; later ones for what the cache lacks). */
  ttftByTurn: (number | null)[];
  computed: number;
  saved: number;
  balance: ReturnType<typeof loadBalance>;
}

async function runStrategy(ctx: BenchContext, o: RoutingOptions, strategy: string): Promise<StrategyRun> {
  const backends: FleetBackend[] = Array.from({ length: o.backends }, (_, i) => ({
    name: `replica-${i + 1}`,
    ttftMs: MOCK_TTFT_MS,
    tokensPerSecond: MOCK_TOKENS_PER_SECOND,
    prefixCache: { blocks: o.blocks, prefillPerToken: o.prefill },
  }));
  const fleet = await startFleet({
    model: ctx.model,
    upstreamModel: UPSTREAM_MODEL,
    strategy,
    backends,
    targets: backends.map((b) => ({ backend: b.name })),
  });
  try {
    const { source, total } = conversations(ctx.model, o);
    const connections = Math.max(1, Math.min(ctx.connections, 32));
    ctx.progress(`prefix: ${strategy}: ${o.conversations} conversations × ${o.turns} turns, ${connections} at a time`);
    ctx.live.begin(`prefix ${strategy}`);
    const sampler = sampleInflight(fleet.target, ctx.model);
    const byTurn: number[][] = Array.from({ length: o.turns }, () => []);
    const load = await runLoad({
      url: fleet.target.url,
      headers: {},
      source,
      stream: true,
      durationMs: 30 * 60_000,
      connections,
      maxRequests: total,
      live: ctx.live,
      signal: ctx.signal,
      onRecord: (r, req) => {
        const turn = ((req.body.messages as unknown[]).length - (o.system > 0 ? 2 : 1)) / 2;
        if (r.ok && r.ttft !== undefined) byTurn[turn]?.push(r.ttft);
      },
    });
    const samples = await sampler.stop();
    const account = await prefillOf(fleet.target.mocks);
    const ok = load.records.filter((r) => r.ok);
    return {
      strategy,
      requests: load.records.length,
      errors: load.records.length - ok.length,
      ttft: ok.flatMap((r) => (r.ttft === undefined ? [] : [r.ttft])).sort((a, b) => a - b),
      ttftByTurn: byTurn.map((xs) =>
        fig(
          q(
            xs.sort((a, b) => a - b),
            0.5,
          ),
          1,
        ),
      ),
      ...account,
      balance: loadBalance(samples, LOAD_FACTOR),
    };
  } finally {
    await fleet.stop();
  }
}

const q = (sorted: number[], p: number) => (sorted.length ? percentile(sorted, p) : undefined);

/** A figure in ms as the table shows it; n/a without samples (never `nullms`). */
const ms = (x: Figures[string] | undefined): string => (typeof x === 'number' ? `${x}ms` : 'n/a');

export async function prefix(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.routing ?? ROUTING_DEFAULTS;
  const strategies = o.strategies ?? DEFAULT_STRATEGIES;
  const runs = await eachStrategy(ctx, strategies, (s) => runStrategy(ctx, o, s));
  const figures: Figures = {};
  const sharedTokens = o.system / (o.system + o.turn);
  const lines = [
    `prefix      ${o.backends} mock backends, prefix caches of ${o.blocks} blocks, prefill ${o.prefill} ms a token; ` +
      `${o.conversations} conversations × ${o.turns} turns; ` +
      `system ${o.system} tokens (${o.prompts} shared, ${round(100 * o.shared)}% of conversations), turns ${o.turn}, answers ${o.answer}`,
    `            ${'strategy'.padEnd(14)} ${'hit rate'.padStart(8)} ${'prefill'.padStart(10)} ${'TTFT p50'.padStart(9)} ${'p99'.padStart(8)}  ` +
      'busiest backend',
  ];
  for (const r of runs) {
    const k = `prefix.${r.strategy}`;
    const total = r.computed + r.saved;
    figures[`${k}.hitRate`] = total ? round(r.saved / total, 4) : null;
    figures[`${k}.prefillTokens`] = r.computed;
    figures[`${k}.savedTokens`] = r.saved;
    figures[`${k}.ttft.p50`] = fig(q(r.ttft, 0.5), 1);
    figures[`${k}.ttft.p99`] = fig(q(r.ttft, 0.99), 1);
    figures[`${k}.errors`] = r.requests ? round(r.errors / r.requests, 4) : null;
    figures[`${k}.overBound`] = r.balance ? round(r.balance.overBound, 4) : null;
    figures[`${k}.loadFactor`] = r.balance ? round(r.balance.loadFactor, 3) : null;
    figures[`${k}.maxShare`] = r.balance ? round(r.balance.maxShare, 3) : null;
    const bound = r.balance
      ? `${figures[`${k}.loadFactor`]}× the mean in flight; over the ${LOAD_FACTOR}× bound in ${round(100 * r.balance.overBound, 1)}% of samples`
      : 'n/a';
    lines.push(
      `            ${r.strategy.padEnd(14)} ${`${round(100 * Number(figures[`${k}.hitRate`] ?? 0), 1)}%`.padStart(8)} ` +
        `${String(r.computed).padStart(10)} ${ms(figures[`${k}.ttft.p50`]).padStart(9)} ${ms(figures[`${k}.ttft.p99`]).padStart(8)}  ${bound}` +
        (r.errors ? `  (${r.errors} failed)` : ''),
    );
  }
  const base = runs.find((r) => r.strategy === 'weighted');
  const best = runs.find((r) => r.strategy === 'prefix');
  if (base && best) {
    figures['prefix.prefillRatio'] = base.computed ? round(best.computed / base.computed, 4) : null;
    figures['prefix.prefillSaved'] = base.computed - best.computed;
    const p50 = (r: StrategyRun) => q(r.ttft, 0.5);
    const ratio = p50(base) ? (p50(best) ?? Number.NaN) / p50(base)! : Number.NaN;
    figures['prefix.ttftRatio'] = fig(ratio, 3);
    lines.push(
      `            prefix vs weighted: ${figures['prefix.prefillRatio']}× the prefill tokens (${figures['prefix.prefillSaved']} saved), ` +
        `${figures['prefix.ttftRatio']}× the TTFT p50; bounded load ${LOAD_FACTOR}× (a prompt is ${round(100 * sharedTokens)}% system prompt at turn 1)`,
    );
  }
  return {
    figures,
    lines,
    detail: { options: o, loadFactor: LOAD_FACTOR, runs: runs.map(({ ttft, ...r }) => ({ ...r, ttftSamples: ttft.length })) },
  };
}
