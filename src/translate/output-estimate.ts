/**
 * What an answer cut before its final usage (the client left, the backend broke) carried, in output tokens, at
 * least: its text's length / 4 (English runs ~4 characters a token; code and other languages more tokens per
 * character, so this stays a lower bound) and never less than one token per content event. An Anthropic delta
 * often carries several tokens: counted one per event, an answer left just before its end cost a fraction of it.
 */
const CHARS_PER_TOKEN = 4;

/** The tokens `chars` characters of generated text hold, at least (one for any event that carried some). */
export function tokensAtLeast(chars: number): number {
  return Math.max(1, Math.floor(chars / CHARS_PER_TOKEN));
}

/** The string values an Anthropic content delta carries generated output in (text, thinking, a tool's input). */
const PAYLOAD_KEYS = ['"text":"', '"partial_json":"', '"thinking":"'] as const;

/**
 * An Anthropic `content_block_delta`'s tokens, at least, from its JSON text without parsing it. Inside a JSON
 * string a quote is escaped, so a payload key found is the key itself; its value runs to the last quote (the
 * delta is the event's last member in what Anthropic sends). Escapes count as characters: an over-count of a few
 * per escaped character, never more than the text's JSON length / 4.
 */
export function deltaTokensAtLeast(data: string): number {
  for (const key of PAYLOAD_KEYS) {
    const at = data.indexOf(key);
    if (at >= 0) return tokensAtLeast(data.lastIndexOf('"') - (at + key.length));
  }
  return 1;
}
