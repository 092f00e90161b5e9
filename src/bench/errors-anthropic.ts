/** The `errors` cases as @anthropic-ai/sdk sees them, for `--api anthropic` (Anthropic's classes and error types). */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { answerDeadlineMs, post, withDeadline } from './client.js';
import type { BenchContext } from './context.js';

/** A case's name and whether the target passed it. */
export type ErrorCase = [string, () => Promise<boolean>];

/**
 * The SDKs' fetch, never following a redirect: the bench sends traffic to its target only (a 3xx from the
 * target is an answer to judge, not an address to post the prompt to).
 */
export const targetOnlyFetch: typeof fetch = (input, init) => fetch(input, { ...init, redirect: 'manual' });

/**
 * targetOnlyFetch with the answer's deadline (answerDeadlineMs) on the whole exchange, body included: the SDKs'
 * `timeout` ends with the headers, and a 200 that trickles (or pings a stream for ever) held a case for good.
 */
export function deadlineFetch(ctx: BenchContext, onCut?: () => void): typeof fetch {
  // The timer is not cleared when the answer ends (the SDK reads the body later): unref'd, it fires on nothing.
  return (input, init) => {
    // The SDK's own signal (its timeout, a user abort) and the run's (Ctrl-C, the scenario's budget): without the run's, an
    // interrupt waited for the case's answer deadline — --duration and a minute — against a target holding its answer.
    const deadline = withDeadline(ctx, init?.signal ?? undefined, ctx.signal);
    if (onCut) deadline.signal.addEventListener('abort', () => deadline.expired() && onCut(), { once: true });
    return targetOnlyFetch(input, { ...init, signal: deadline.signal });
  };
}

/**
 * Whether a mid-stream case's error is the bench giving up on the answer, not the target's failure said to the client: a
 * stream cut at the answer's deadline (`cut`: the bench's own, or the SDK's timeout) never ended and never said it
 * failed. Taken for "the stream throws", a gateway that held its client's stream open for good once the backend reset
 * (or never answered it) passed the case.
 */
export function cutByBench(cut: boolean, e: unknown): boolean {
  return (
    cut ||
    e instanceof Anthropic.APIConnectionTimeoutError ||
    e instanceof Anthropic.APIUserAbortError ||
    e instanceof OpenAI.APIConnectionTimeoutError ||
    e instanceof OpenAI.APIUserAbortError
  );
}

/**
 * The request refused before any stream began (a 4xx: a key out of budget, unauthorised, a body refused): the SDK throws,
 * but the mid-stream failure the case is about was never reached — read as the stream throwing, a target answering the
 * case 429 passed it, and `errors.failed==0` with it. An error in the stream (no status) or a 5xx for the failure still is one.
 */
export function refusedBeforeStream(e: unknown): boolean {
  const status = e instanceof OpenAI.APIError || e instanceof Anthropic.APIError ? e.status : undefined;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export function anthropicErrorCases(ctx: BenchContext): ErrorCase[] {
  const client = new Anthropic({
    baseURL: ctx.target.url,
    apiKey: ctx.apiKey ?? 'none',
    maxRetries: 0,
    timeout: answerDeadlineMs(ctx),
    fetch: deadlineFetch(ctx),
  });
  const ask = (content: string) => client.messages.create({ model: ctx.model, messages: [{ role: 'user', content }], max_tokens: 5 });
  // post() reads Anthropic's error body back as OpenAI's, its error type kept as `type`.
  const errorType = (body: Buffer) => (JSON.parse(body.toString() || '{}') as { error?: { type?: unknown } }).error?.type;
  return [
    [
      'unknown model → NotFoundError (not_found_error)',
      async () => {
        const e = await client.messages
          .create({ model: 'no-such-model-aigw-bench', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 })
          .catch((x: unknown) => x);
        return e instanceof Anthropic.NotFoundError && e.type === 'not_found_error';
      },
    ],
    [
      "bad JSON → 400 in Anthropic's shape (invalid_request_error)",
      async () => {
        const r = await post(ctx, '{"model":', { pace: false });
        return r.status === 400 && errorType(r.body) === 'invalid_request_error';
      },
    ],
    [
      'oversize body → 413 (request_too_large)',
      async () => {
        const limit = ctx.profile?.limits.maxRequestBytes ?? 8 * 1024 * 1024;
        const r = await post(ctx, { model: ctx.model, messages: [{ role: 'user', content: 'x'.repeat(limit + 1024) }] }, { pace: false });
        return r.status === 413 && errorType(r.body) === 'request_too_large';
      },
    ],
    [
      'upstream 5xx → a 5xx APIError',
      async () => {
        const e = await ask('fail [[mock fault=status:500]]').catch((x: unknown) => x);
        return e instanceof Anthropic.APIError && (e.status ?? 0) >= 500;
      },
    ],
    [
      'mid-stream failure → the stream throws (event: error)',
      async () => {
        // A client of its own: only this case's exchanges mark it cut (an earlier case's deadline fires later, on nothing).
        let cut = false;
        const own = new Anthropic({
          baseURL: ctx.target.url,
          apiKey: ctx.apiKey ?? 'none',
          maxRetries: 0,
          timeout: answerDeadlineMs(ctx),
          fetch: deadlineFetch(ctx, () => (cut = true)),
        });
        const s = own.messages.stream({
          model: ctx.model,
          messages: [{ role: 'user', content: 'break [[mock fault=reset-after:3 ttft=0ms tps=0]]' }],
          max_tokens: 50,
        });
        return (await s.finalMessage().then(
          () => false,
          (e: unknown) => e instanceof Anthropic.APIError && !cutByBench(cut, e) && !refusedBeforeStream(e),
        )) as boolean;
      },
    ],
  ];
}
