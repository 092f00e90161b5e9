/**
 * What one answer cost, from its usage and its target's prices (USD per million tokens, OpenAI's and
 * LiteLLM's unit): uncached input at `input`, cached input at `cachedInput` (when priced; else at `input`),
 * output at `output`. Tokens × USD per million = micro-dollars, the unit budgets are counted in.
 */

/** A target's prices, USD per million tokens (profile `pricing`; structurally the same type). */
export interface Prices {
  readonly input: number;
  readonly cachedInput?: number | undefined;
  readonly output: number;
}

/** The cost in micro-dollars. `cached` is part of `input` (OpenAI's prompt_tokens counts cached tokens too). */
export function costMicroUsd(prices: Prices, input: number, cached: number, output: number): number {
  const c = Math.min(Math.max(0, cached), input);
  return (input - c) * prices.input + c * (prices.cachedInput ?? prices.input) + output * prices.output;
}
