/**
 * What one answer cost, from its usage and its target's prices (USD per million tokens, OpenAI's and
 * LiteLLM's unit): uncached input at `input`, cached input at `cachedInput` (when priced; else at `input`), input
 * written to the cache at `cacheWrite` (when priced; else at `input`), output at `output`. Tokens × USD per million = micro-dollars, the unit budgets are counted in.
 */

/** A target's prices, USD per million tokens (profile `pricing`; structurally the same type). */
export interface Prices {
  readonly input: number;
  readonly cachedInput?: number | undefined;
  /** Anthropic's cache writes (`cache_creation_input_tokens`): 1.25× input for 5 minutes, 2× for an hour. */
  readonly cacheWrite?: number | undefined;
  readonly output: number;
}

/**
 * The cost in micro-dollars. `cached` and `written` are part of `input` (OpenAI's prompt_tokens counts cached tokens
 * too; accounting adds Anthropic's cache reads and writes to its input_tokens), each bounded by what is left of it.
 */
export function costMicroUsd(prices: Prices, input: number, cached: number, output: number, written = 0): number {
  const c = Math.min(Math.max(0, cached), input);
  const w = Math.min(Math.max(0, written), input - c);
  return (
    (input - c - w) * prices.input +
    c * (prices.cachedInput ?? prices.input) +
    w * (prices.cacheWrite ?? prices.input) +
    output * prices.output
  );
}
