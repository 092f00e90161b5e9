/** The longest prefix of a text within a number of tokens: where max_tokens cuts a tool call, where TEI truncates an input. */

/**
 * The longest prefix of `text` (of at most `maxChars` characters) that `count` makes at most `maxTokens` tokens: a
 * binary search of about log2(maxChars) counts. A prefix's count grows with its length (BPE may merge at the cut, a
 * token or so), so the prefix found is within `maxTokens` even where the count is not strictly monotone.
 */
export function prefixWithin(text: string, maxTokens: number, count: (text: string) => number, maxChars = text.length): string {
  let lo = 0;
  let hi = Math.min(text.length, maxChars);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (count(text.slice(0, mid)) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}
