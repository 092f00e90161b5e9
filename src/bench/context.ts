/**
 * What every scenario needs: where to send traffic, how to authenticate, what the profile (if any) says,
 * and where the figures go. The bench judges any OpenAI-compatible gateway as a stranger: it imports only
 * the leaves (core, openai) and the mocks' text generator.
 */
import type { Profile } from '../profile/schema.js';

export interface BenchTarget {
  /** Base URL of the gateway (no /v1). */
  url: string;
  /** The gateway's admin listener, when it is an aigw the bench started or was told about. */
  admin?: string;
  /** Mock backends by name (from the profile), for /mock/stats and direct baselines. */
  mocks: Record<string, string>;
  /** The gateway process, when the bench started it (for CPU figures). */
  pid?: number;
}

export interface BenchContext {
  target: BenchTarget;
  model: string;
  apiKey: string | undefined;
  /** The key of a tenant with a TPM limit on this model (for `ratelimit`), when the profile has one. */
  limitedKey: string | undefined;
  profile: Profile | undefined;
  durationMs: number;
  connections: number;
  /** Expected split from --expect a=95,b=5 (overrides the profile's weights). */
  expect: Record<string, number> | undefined;
  progress(line: string): void;
}

export type Figures = Record<string, number | string | boolean | null>;

export interface ScenarioResult {
  /** Every number behind the verdict, flat (`ttft.p50`, `split.vllm-a`); assertions read these. */
  figures: Figures;
  /** Human-readable lines for the summary. */
  lines: string[];
  /** Extra structure for --json (tables). */
  detail?: unknown;
}

export function authHeaders(ctx: BenchContext): Record<string, string> {
  return ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}` } : {};
}

export function quantile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
