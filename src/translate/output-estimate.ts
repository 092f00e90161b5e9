/**
 * What an answer cut before its final usage (the client left, the backend broke) carried, in output tokens, at
 * least: its text's length / 4 (English runs ~4 characters a token; code and other languages more tokens per
 * character, so this stays a lower bound) and never less than one token per content event. An Anthropic delta
 * often carries several tokens: counted one per event, an answer left just before its end cost a fraction of it.
 */
export const CHARS_PER_TOKEN = 4;

/** The tokens `chars` characters of generated text hold, at least (one for any event that carried some). */
export function tokensAtLeast(chars: number): number {
  return Math.max(1, Math.floor(chars / CHARS_PER_TOKEN));
}

/** Where the string an Anthropic content delta carries output in begins (text, thinking, a tool's input). */
const PAYLOAD = /"(?:text|partial_json|thinking)"\s*:\s*"/;

/**
 * An Anthropic `content_block_delta`'s tokens, at least, from its JSON text without parsing it. Inside a JSON
 * string a quote is escaped, so the first payload key found is the key itself (whatever its spacing — Python's
 * json.dumps writes `"text": "…"`); its value runs to the next unescaped quote, wherever the member stands. Escapes
 * count as characters: an over-count of a few per escaped character, never more than the JSON's length / 4.
 */
export function deltaTokensAtLeast(data: string): number {
  const m = PAYLOAD.exec(data);
  if (!m) return 1;
  const from = m.index + m[0].length;
  let i = from;
  while (i < data.length && data.charCodeAt(i) !== 0x22) i += data.charCodeAt(i) === 0x5c ? 2 : 1;
  return tokensAtLeast(Math.min(i, data.length) - from);
}
