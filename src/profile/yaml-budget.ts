/**
 * How much YAML one load may hold, counted in the lexer's tokens (keys, values, punctuation), before anything is
 * parsed. The parser keeps hundreds of bytes a token: a 4 MB flow list of small numbers took 37 s and 2.7 GB to
 * validate, and 48.6 MB of small manifests (under the file cap) ran the process out of heap — at a reload, the
 * serving gateway. The lexer is cheap (~160 ms a million tokens, no tree) and stops at the budget.
 */
import { Lexer } from 'yaml';

/**
 * Tokens one load may hold, all its files together: ~0.3 a byte in real files, so ~3 MB of manifests (some 12,000
 * routes with their backends and policies); a profile of a hundred models is a few thousand. Parsing the most this
 * lets through measured ~0.8 GB at worst (a flow list of numbers) and ~0.25 GB for manifests.
 */
export const MAX_YAML_TOKENS = 1_000_000;

/**
 * Characters of a double-quoted value that count as one more token. The library reads such a value (escapes and all)
 * one character at a time, each appended to the last: ~33 bytes of heap and ~0.2 µs a character until the value is
 * first used — a single 64 MiB value, one token, was 2.1 GB and 13 s of the loop, three times at a reload (the
 * manifest check and both reads), and 16 MiB exhausted a 512 MiB heap. At 16 a token, the budget holds 16 Mi such
 * characters (~530 MB, ~3 s a read); other scalars are read a line at a time.
 */
export const DOUBLE_QUOTED_CHARS_PER_TOKEN = 16;

/**
 * The `''` escapes of a single-quoted value (its quotes aside). The library unescapes them with one global replace, ~40
 * bytes of heap and ~1 µs an escape, for what the lexer counted as one token: 16 million of them (32 MB, under the file
 * cap) ran validate out of a 512 MiB heap after 14 s. Each counts a token; a value with a few (`'it''s'`) costs nothing.
 */
function singleQuoteEscapes(token: string): number {
  let n = 0;
  for (let i = token.indexOf("''", 1); i !== -1 && i < token.length - 1; i = token.indexOf("''", i + 2)) n++;
  return n;
}

/**
 * The line breaks inside a token longer than a line break. A value over several lines — a block scalar (`|`, `>`), a
 * plain or quoted one — is one token, which the library folds line by line (~100 bytes of heap and some µs a line): a
 * `|` value of five million lines (20 MB) ran validate out of a 512 MiB heap after 27 s. Each line counts a token.
 */
function innerLineBreaks(token: string): number {
  if (token.length <= 2) return 0;
  let n = 0;
  for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Levels of `[`/`{` inside each other, or of `- ` on one line, a file may hold. Each is two tokens, well inside the
 * budget, but the library parses and composes every level (and the readers recurse into them): 490,000 levels of `[`
 * (980 KB) ran validate out of a 512 MiB heap after 44 s. A profile or manifest nests some ten levels.
 */
export const MAX_YAML_DEPTH = 1000;

/** spendYamlTokens' answer for a file nested past MAX_YAML_DEPTH. */
export const TOO_DEEP = -2;

/**
 * Counts the tokens of `text` against what is left of a load's budget; the tokens left, -1 past it, or TOO_DEEP for
 * a file nested past MAX_YAML_DEPTH.
 */
export function spendYamlTokens(text: string, left: number): number {
  let depth = 0;
  let dashes = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_YAML_DEPTH) return TOO_DEEP;
    } else if ((token === ']' || token === '}') && depth > 0) depth--;
    else if (token === '-') {
      if (++dashes > MAX_YAML_DEPTH) return TOO_DEEP;
    } else if (token === '\n' || token === '\r\n') dashes = 0;
    const q = token[0];
    left -=
      q === '"'
        ? 1 + Math.floor(token.length / DOUBLE_QUOTED_CHARS_PER_TOKEN)
        : 1 + innerLineBreaks(token) + (q === "'" ? singleQuoteEscapes(token) : 0);
    if (left < 0) return -1;
  }
  return left;
}

/** The problem of a load past its budget (`left`: what spendYamlTokens answered). */
export function yamlTooLarge(left = -1): string {
  if (left === TOO_DEEP)
    return (
      `nested more than ${MAX_YAML_DEPTH} levels deep ([ and { inside each other, or - on one line): too deep to read ` +
      'safely; a generated file wants its values written out'
    );
  return (
    `more than ${MAX_YAML_TOKENS.toLocaleString('en-US')} YAML tokens (keys, values and punctuation; a double-quoted value ` +
    `one more for every ${DOUBLE_QUOTED_CHARS_PER_TOKEN} characters, a single-quoted one for each '' in it, any value one for each line it spans) in all: too large to read safely; a generated file ` +
    'wants splitting or trimming'
  );
}
