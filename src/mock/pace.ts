/**
 * A mock's pace, changeable while it runs (`POST /mock/control`): the bench's `latency` scenario makes one
 * backend slow mid-run and fast again. `slowdown` multiplies every GPU-bound delay — time to first token,
 * prefill per token, time per output token — as llm-d's simulator's `time-factor-under-load` does; the other
 * fields replace the profile's values. Per-request `x-mock-ttft` / `x-mock-tps` still override the base
 * values, and the slowdown applies to them too.
 */
import { z } from 'zod';
import { parseDuration } from '../core/units.js';

export interface Pace {
  /** Base time to first token, ms. */
  ttft: number;
  /** Per stream; 0 = as fast as possible (a slowdown cannot slow what is unpaced). */
  tokensPerSecond: number;
  /** Added to the time to first token per uncached prompt token, ms (prefix cache only). */
  prefillPerToken: number;
  slowdown: number;
}

/** No simulated delay exceeds this (a mock that waits longer looks dead, not slow). */
export const MAX_DELAY_MS = 10 * 60_000;

/**
 * A client's value as a refusal quotes it: at most 200 characters (controls.ts `shown`, which imports this module). The
 * refusal quoted a bad duration whole and named every unknown field: a body of 100,000 of them was answered with 1.6 MB.
 */
const quoted = (v: string): string => JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v);
/** Unknown fields named in a refusal, before "and N more". */
const NAMED_FIELDS = 5;

const DelayMs = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration from 0 to 10m (such as 80ms, or a number of ms), got ${typeof v === 'string' ? quoted(v) : v}`,
    });
    return z.NEVER;
  }
  return ms;
});

const PaceUpdate = z.strictObject({
  ttft: DelayMs.optional(),
  tokensPerSecond: z.number().min(0).max(1e9).optional(),
  prefillPerToken: DelayMs.optional(),
  slowdown: z.number().min(0.01).max(1000).optional(),
  /** Back to the profile's pace before applying the other fields. */
  reset: z.boolean().optional(),
});

/** The pace after `body` is applied, or a message naming what is wrong with it. */
export function updatePace(current: Pace, initial: Pace, body: unknown): Pace | string {
  const parsed = PaceUpdate.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? `${issue.path.join('.')}: ` : '';
    const more =
      issue.code === 'unrecognized_keys' && issue.keys.length > NAMED_FIELDS ? ` and ${issue.keys.length - NAMED_FIELDS} more` : '';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.slice(0, NAMED_FIELDS).map(quoted).join(', ')}${more}`
        : issue.message;
    return `${at}${message} (fields: ttft, tokensPerSecond, prefillPerToken, slowdown, reset)`;
  }
  const { reset, ...fields } = parsed.data;
  const next = { ...(reset ? initial : current) };
  for (const [k, v] of Object.entries(fields) as [keyof Pace, number | undefined][]) if (v !== undefined) next[k] = v;
  return next;
}

/** Time to first token: base + uncached prompt tokens × prefill, all slowed down; never beyond MAX_DELAY_MS. */
export function timeToFirstToken(baseMs: number, uncachedTokens: number, pace: Pace): number {
  return Math.min(MAX_DELAY_MS, (baseMs + uncachedTokens * pace.prefillPerToken) * pace.slowdown);
}

/** Output pace after the slowdown (0 stays 0: as fast as possible). */
export function slowedTokensPerSecond(tokensPerSecond: number, pace: Pace): number {
  return tokensPerSecond / pace.slowdown;
}
