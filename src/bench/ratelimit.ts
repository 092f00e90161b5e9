/**
 * `ratelimit`: drives a tenant above its token limit and reports what was admitted per window against the
 * limit, the 429 rate, whether retry-after was honest (a retry at that moment gets in), and whether
 * x-ratelimit-remaining-tokens ever went up within a window while nothing expired.
 */
import { chatBody, post } from './client.js';
import { round, type BenchContext, type ScenarioResult, share } from './context.js';
import { MAX_REPORTED_TOKENS } from './record.js';

/** A token count an answer can have (as usageCount reads one), or undefined. */
const tokenCount = (n: unknown): number | undefined =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_REPORTED_TOKENS ? (n as number) : undefined;

/**
 * The tokens an admitted answer spent of the limit: its usage's total_tokens, else its prompt and completion tokens
 * (an Anthropic Message has input and output tokens and no total, nor has every gateway's usage); undefined when the
 * body says neither.
 */
export function admittedTokens(text: string): number | undefined {
  try {
    const u = (JSON.parse(text) as { usage?: Record<string, unknown> } | null)?.usage;
    if (!u || typeof u !== 'object') return undefined;
    // A total that is there but no count (negative, 1e308) is a fault, not a reason to add up the parts.
    if (u.total_tokens !== undefined && u.total_tokens !== null) return tokenCount(u.total_tokens);
    const prompt = tokenCount(u.prompt_tokens);
    const completion = tokenCount(u.completion_tokens);
    return prompt !== undefined && completion !== undefined ? prompt + completion : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The wait a 429 asks for, in ms: OpenAI's `retry-after-ms`, else HTTP's `retry-after` in seconds (as openai-node and the
 * pacer read them); NaN when it says neither. Only the first was read: a gateway that says seconds went unchecked.
 */
function retryAfterMs(h: Record<string, string | string[] | undefined>): number {
  const one = (v: string | string[] | undefined) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN);
  const ms = one(h['retry-after-ms']);
  if (ms >= 0) return ms;
  const s = one(h['retry-after']);
  return s >= 0 ? s * 1000 : Number.NaN;
}

export async function ratelimit(benchCtx: BenchContext): Promise<ScenarioResult> {
  let ctx = benchCtx;
  const key = ctx.limitedKey;
  const tenant = Object.values(ctx.profile?.tenants ?? {}).find((t) => key && t.keys.includes(key));
  const limit = tenant?.limits?.tpm;
  const windowMs = ctx.profile?.limits.rateWindow ?? 60_000;
  if (!limit || !key)
    return { figures: {}, lines: ['ratelimit   skipped: no tenant with a TPM limit on this model in the profile (give -c PROFILE)'] };
  // Its own key, unpaced: this scenario drives the limit on purpose.
  ctx = { ...ctx, apiKey: key, pacer: undefined };
  ctx.live.begin('ratelimit', ctx.durationMs);
  const start = Date.now();
  const perWindow: number[] = [];
  let requests = 0;
  let refused = 0;
  // A probe the interrupt came before resolves undefined: not made, not counted.
  const retries: Promise<boolean | undefined>[] = [];
  // When the run was interrupted: the windows that ended before it are the ones that ran whole.
  let stoppedAt = Number.POSITIVE_INFINITY;
  const onInterrupt = () => (stoppedAt = Date.now());
  ctx.signal?.addEventListener('abort', onInterrupt, { once: true });
  let probing = false;
  /** A 429 said how long to wait (retry-after-ms or retry-after). */
  let saidWait = false;
  /** Answers admitted whose tokens the body does not say: what they spent of the limit is unknown. */
  let uncounted = 0;
  const count = (r: { status: number; body: Buffer }, at: number) => {
    if (r.status !== 200) return false;
    const used = admittedTokens(r.body.toString());
    if (used === undefined) uncounted++;
    const w = Math.floor((at - start) / windowMs);
    perWindow[w] = (perWindow[w] ?? 0) + (used ?? 0);
    return true;
  };
  ctx.progress(`ratelimit: driving ${limit} TPM (window ${windowMs / 1000}s) for ${ctx.durationMs / 1000}s`);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() - start < ctx.durationMs && !ctx.signal?.aborted) {
        const body = chatBody(ctx, 'spend tokens [[mock ttft=0ms tps=0]]', { max_tokens: Math.max(1, Math.floor(limit / 40)) });
        const sent = Date.now();
        const r = await post(ctx, body);
        requests++;
        if (count(r, sent)) continue;
        if (r.status === 429) {
          refused++;
          const ms = retryAfterMs(r.headers);
          if (Number.isFinite(ms)) saidWait = true;
          // Honesty: one client at a time waits exactly the retry-after it was given; it should then get in.
          if (!probing && !ctx.signal?.aborted && Number.isFinite(ms) && Date.now() - start + ms < ctx.durationMs) {
            probing = true;
            retries.push(
              new Promise((res) => {
                const skip = () => {
                  clearTimeout(timer);
                  probing = false;
                  res(undefined);
                };
                const timer = setTimeout(async () => {
                  ctx.signal?.removeEventListener('abort', skip);
                  const at = Date.now();
                  const again = await post(ctx, body);
                  requests++;
                  probing = false;
                  res(count(again, at));
                }, ms);
                ctx.signal?.addEventListener('abort', skip, { once: true });
              }),
            );
          }
          await new Promise((res) => setTimeout(res, 10));
        }
      }
    }),
  );
  const honest = (await Promise.all(retries)).filter((h) => h !== undefined);
  ctx.signal?.removeEventListener('abort', onInterrupt);
  const ran = Math.min(ctx.durationMs, stoppedAt - start);
  // Every window that ran whole, 0 where nothing was admitted. Sliced from the windows that admitted something, a
  // target that let a window's worth in and then refused the key for good had its windows after the first dropped
  // (the array ends at the last one written): 1000 tokens then nothing read as 100 % of the limit; and a window with
  // nothing in the middle was a hole, which made the worst window NaN.
  const full = Array.from({ length: Math.floor(ran / windowMs) }, (_, i) => perWindow[i] ?? 0);
  const steady = full.slice(1);
  const ratio = steady.length ? steady.reduce((a, b) => a + b, 0) / steady.length / limit : (full[0] ?? perWindow[0] ?? 0) / limit;
  // One admitted answer without its count, and the windows' sums are short of what was spent by an unknown amount:
  // a target that admitted everything and said no usage (or said it without total_tokens) read as 0 % of its limit.
  const known = uncounted === 0;
  const maxWindowRatio = round(Math.max(0, ...full) / limit, 4);
  const figures: ScenarioResult['figures'] = {
    'ratelimit.limit': limit,
    'ratelimit.windowMs': windowMs,
    'ratelimit.admittedPerWindow': known ? round(steady.length ? ratio * limit : (full[0] ?? 0), 0) : null,
    'ratelimit.ratio': known ? round(ratio, 4) : null,
    'ratelimit.maxWindowRatio': known ? maxWindowRatio : null,
    'ratelimit.rejectRate': share(refused, Math.max(1, requests)),
    'ratelimit.retryAfterHonest': honest.length ? share(honest.filter(Boolean).length, honest.length, 3) : null,
  };
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  const measuredIn = steady.length ? 'steady windows (after the first)' : 'the one full window';
  const admittedLine = !known
    ? `tokens admitted unknown: ${uncounted} answers let in carried no token count (usage.total_tokens, or its prompt and completion)`
    : full.length
      ? `admitted per window ${full.join(', ')} → ${percent(ratio)} of the limit in ${measuredIn}, ` +
        `worst window ${percent(maxWindowRatio)}`
      : `the run (${ctx.durationMs / 1000}s) is shorter than one window: ` +
        `${perWindow[0] ?? 0} tokens admitted = ${percent(ratio)} of the limit`;
  const retryAfter = honest.length
    ? `honest in ${honest.filter(Boolean).length}/${honest.length} retries`
    : refused && !saidWait
      ? 'not checked (no 429 said how long to wait: retry-after-ms or retry-after)'
      : 'not checked (every wait was longer than the run)';
  return {
    figures,
    // Every window that ran, the empty ones after the last that admitted anything too (the chart shows the lock-out).
    detail: {
      limit,
      windowMs,
      perWindow: Array.from({ length: Math.max(perWindow.length, full.length) }, (_, i) => perWindow[i] ?? 0),
      fullWindows: full.length,
    },
    lines: [
      `ratelimit   limit ${limit} tokens per ${windowMs / 1000}s; ${admittedLine}`,
      `            ${refused} of ${requests} requests refused (${percent(refused / Math.max(1, requests))}); retry-after ${retryAfter}`,
    ],
  };
}
