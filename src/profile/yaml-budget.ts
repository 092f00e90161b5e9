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

/** Counts the tokens of `text` against what is left of a load's budget; the tokens left, or -1 past it. */
export function spendYamlTokens(text: string, left: number): number {
  for (const _ of new Lexer().lex(text)) if (--left < 0) return -1;
  return left;
}

/** The problem of a load past its budget. */
export function yamlTooLarge(): string {
  return `more than ${MAX_YAML_TOKENS.toLocaleString('en-US')} YAML tokens (keys, values and punctuation) in all: too large to read safely; a generated file wants splitting or trimming`;
}
