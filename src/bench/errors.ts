/**
 * `errors`: error-shape conformance as the official client sees it (openai, or @anthropic-ai/sdk with
 * `--api anthropic`) — unknown model, bad JSON, oversize body, an upstream 5xx, and a failure mid-stream must
 * each surface as the right error class, never as a clean (and silently short) answer.
 */
import OpenAI from 'openai';
import { answerDeadlineMs, post } from './client.js';
import type { BenchContext, ScenarioResult } from './context.js';
import { anthropicErrorCases, cutByBench, deadlineFetch, type ErrorCase, refusedBeforeStream } from './errors-anthropic.js';

function openAICases(ctx: BenchContext): ErrorCase[] {
  const client = new OpenAI({
    baseURL: `${ctx.target.url}/v1`,
    apiKey: ctx.apiKey ?? 'none',
    maxRetries: 0,
    timeout: answerDeadlineMs(ctx),
    fetch: deadlineFetch(ctx),
  });
  const ask = (content: string, extra: object = {}) =>
    client.chat.completions.create({ model: ctx.model, messages: [{ role: 'user', content }], max_tokens: 5, ...extra } as never);
  return [
    [
      'unknown model → NotFoundError',
      async () =>
        (await client.chat.completions
          .create({ model: 'no-such-model-aigw-bench', messages: [{ role: 'user', content: 'x' }] })
          .catch((e: unknown) => e)) instanceof OpenAI.NotFoundError,
    ],
    [
      "bad JSON → 400 in OpenAI's shape",
      async () => {
        const r = await post(ctx, '{"model":', { pace: false });
        return (
          r.status === 400 &&
          typeof (JSON.parse(r.body.toString() || '{}') as { error?: { message?: unknown } }).error?.message === 'string'
        );
      },
    ],
    [
      'oversize body → 413',
      async () => {
        const limit = ctx.profile?.limits.maxRequestBytes ?? 8 * 1024 * 1024;
        const r = await post(ctx, { model: ctx.model, messages: [{ role: 'user', content: 'x'.repeat(limit + 1024) }] }, { pace: false });
        return r.status === 413;
      },
    ],
    [
      'upstream 5xx → a 5xx APIError',
      async () => {
        const e = await ask('fail [[mock fault=status:500]]').catch((x: unknown) => x);
        return e instanceof OpenAI.APIError && (e.status ?? 0) >= 500;
      },
    ],
    [
      'mid-stream failure → the stream throws',
      async () => {
        // A client of its own: only this case's exchanges mark it cut (an earlier case's deadline fires later, on nothing).
        let cut = false;
        const own = new OpenAI({
          baseURL: `${ctx.target.url}/v1`,
          apiKey: ctx.apiKey ?? 'none',
          maxRetries: 0,
          timeout: answerDeadlineMs(ctx),
          fetch: deadlineFetch(ctx, () => (cut = true)),
        });
        try {
          const s = await own.chat.completions.create({
            model: ctx.model,
            messages: [{ role: 'user', content: 'break [[mock fault=reset-after:3 ttft=0ms tps=0]]' }],
            max_tokens: 50,
            stream: true,
          });
          for await (const _ of s) void _;
          return false;
        } catch (e) {
          return !cutByBench(cut, e) && !refusedBeforeStream(e);
        }
      },
    ],
  ];
}

export async function errorsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const cases = ctx.api === 'anthropic' ? anthropicErrorCases(ctx) : openAICases(ctx);
  const lines: string[] = [];
  let passed = 0;
  ctx.live.begin('errors');
  for (const [name, run] of cases) {
    // Interrupted or out of its budget (run.ts): the cases left are not run, and not passed.
    if (ctx.signal?.aborted) {
      lines.push(`            not run  ${name}`);
      continue;
    }
    ctx.progress(`errors: ${name}`);
    const ok = await run().catch(() => false);
    if (ok) passed++;
    lines.push(`            ${ok ? 'ok  ' : 'FAIL'} ${name}`);
  }
  return {
    figures: { 'errors.conformance': passed / cases.length, 'errors.failed': cases.length - passed },
    lines: [`errors      ${passed}/${cases.length} error cases conform`, ...lines],
  };
}
