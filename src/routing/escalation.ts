/**
 * A model's `escalate` rules: before any target is chosen, the first rule whose bound the request's
 * estimated prompt tokens meet sends it to another public model (a cheap model for short prompts, a
 * large-context one for the rest). One hop: the escalated model's own rules are not applied.
 */
import type { EscalationConfig } from '../profile/schema.js';

export function escalationFor(rules: readonly EscalationConfig[] | undefined, promptTokens: number): string | undefined {
  if (!rules) return undefined;
  for (const r of rules) {
    const { op, tokens } = r.when.promptTokens;
    const hit =
      op === '>'
        ? promptTokens > tokens
        : op === '>='
          ? promptTokens >= tokens
          : op === '<'
            ? promptTokens < tokens
            : promptTokens <= tokens;
    if (hit) return r.model;
  }
  return undefined;
}
