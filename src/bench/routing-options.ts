/**
 * `--routing k=v,…`: the fleets and workloads of the routing scenarios (prefix, latency, cost), with the
 * defaults issue 13's acceptance names — 4 backends, 200 conversations × 6 turns, 1,000-token shared system
 * prompts, ~100-token turns (a question and its answer alike), one backend made 5× slower.
 */
import type { Parsed } from './workload.js';

export interface RoutingOptions {
  /** Mock backends in the prefix and latency fleets, and the blocks (16 tokens) each prefix cache holds. */
  backends: number;
  blocks: number;
  /** The prefix fleet's prefill per uncached prompt token, ms (0.1: llm-d's simulator, the low end of an H100). */
  prefill: number;
  conversations: number;
  turns: number;
  /** Tokens of a system prompt, of a user turn, of an answer. */
  system: number;
  turn: number;
  answer: number;
  /** Distinct shared system prompts. */
  prompts: number;
  /** Share of conversations whose system prompt is a shared one (the rest have their own): the shared-prefix ratio. */
  shared: number;
  /** How much slower the latency scenario makes one backend. */
  slowdown: number;
  /** Requests per strategy in the cost scenario. */
  requests: number;
  /** Strategies to compare (each scenario has its own default). */
  strategies: string[] | undefined;
}

export const ROUTING_DEFAULTS: RoutingOptions = Object.freeze({
  backends: 4,
  blocks: 4096,
  prefill: 0.1,
  conversations: 200,
  turns: 6,
  system: 1000,
  turn: 100,
  answer: 100,
  prompts: 8,
  shared: 1,
  slowdown: 5,
  requests: 1000,
  strategies: undefined,
});

const STRATEGIES = new Set(['weighted', 'least-request', 'latency', 'prefix', 'cost']);

/** [min, max, integer] of each numeric key. */
const BOUNDS: Record<string, [number, number, boolean]> = {
  backends: [2, 16, true],
  blocks: [1, 1_048_576, true],
  prefill: [0, 100, false],
  conversations: [1, 100_000, true],
  turns: [1, 100, true],
  system: [0, 100_000, true],
  turn: [1, 100_000, true],
  answer: [1, 10_000, true],
  prompts: [1, 10_000, true],
  shared: [0, 1, false],
  slowdown: [1, 1000, false],
  requests: [1, 1_000_000, true],
};

const FORMS = `keys: ${Object.keys(BOUNDS).join(', ')}, strategies (joined with +)`;

export function parseRoutingOptions(spec: string | undefined): Parsed<RoutingOptions> {
  const out: RoutingOptions = { ...ROUTING_DEFAULTS };
  if (!spec) return { ok: true, value: out };
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, Math.max(0, eq)).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 1 || !value) return { ok: false, message: `--routing takes key=value pairs (${FORMS}); got "${part.slice(0, 60)}"` };
    if (key === 'strategies') {
      const list = value.split('+').map((s) => s.trim());
      const bad = list.find((s) => !STRATEGIES.has(s));
      if (bad !== undefined)
        return { ok: false, message: `--routing strategies: unknown strategy "${bad.slice(0, 40)}" (${[...STRATEGIES].join(', ')})` };
      out.strategies = [...new Set(list)];
      continue;
    }
    const b = BOUNDS[key];
    if (!b || !Object.hasOwn(BOUNDS, key)) return { ok: false, message: `--routing: unknown key "${key.slice(0, 40)}" (${FORMS})` };
    const n = Number(value);
    if (!Number.isFinite(n) || n < b[0] || n > b[1] || (b[2] && !Number.isInteger(n)))
      return {
        ok: false,
        message: `--routing ${key} takes ${b[2] ? 'an integer' : 'a number'} from ${b[0]} to ${b[1]}, got "${value.slice(0, 40)}"`,
      };
    (out as unknown as Record<string, number>)[key] = n;
  }
  return { ok: true, value: out };
}
