/**
 * What a request may cost in tokens, known before it runs, in O(1): no tokenizing on the hot path.
 *
 * prompt ≈ ceil(body bytes / 3): the JSON body's UTF-8 size bounds the prompt from above for English
 * (about 4 bytes a token, plus JSON punctuation) and is close for CJK text (3 bytes a character, about a
 * token each). Images and tools count by their JSON size — a rough, documented approximation; the
 * backend's usage corrects every estimate when the answer completes. completion = max_tokens
 * (or max_completion_tokens), else limits.defaultCompletionTokens, times every completion the request can
 * produce (n or best_of, and each prompt of a completions batch).
 */
export function estimateTokens(
  bodyBytes: number,
  maxTokens: number | undefined,
  choices: number,
  defaultCompletion: number,
  endpoint: string,
): { prompt: number; total: number } {
  // Counting tokens generates none, and Anthropic does not charge for it: it costs a request, not tokens.
  if (endpoint === 'count_tokens') return { prompt: 0, total: 0 };
  const prompt = promptEstimate(bodyBytes);
  const completion = endpoint === 'embeddings' ? 0 : (maxTokens ?? defaultCompletion) * choices;
  return { prompt, total: prompt + completion };
}

/** A prompt's tokens as estimated from its body's bytes (see above): what admission reserves for it. */
export function promptEstimate(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 3);
}
