/**
 * `sweep`: binary searches for the largest request body, non-streamed answer and stream that pass intact,
 * and names what tripped beyond it (413, 502, a cut at N bytes).
 */
import { chatPromptKey, MEAN_TOKEN_BYTES } from '../mock/text.js';
import { type Answer, chatBody, deltaText, post, stream } from './client.js';
import type { BenchContext, ScenarioResult } from './context.js';
import { readable } from './exchange.js';
import { Checker } from './long.js';
import { label, statusAndCode } from './record.js';

/** The largest size tried: the largest --long-sizes, else 64 MiB. */
const maxOf = (ctx: BenchContext) => (ctx.longSizes?.length ? Math.max(...ctx.longSizes) : 64 * 1024 * 1024);
/** What stands beyond the largest size when the run was interrupted before the search ended: a lower bound. */
const INTERRUPTED = 'not searched further: the run was interrupted';
const fmt = (n: number) => (n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)}MiB` : `${(n / 1024).toFixed(0)}KiB`);

async function search(
  ctx: BenchContext,
  label: string,
  probe: (size: number) => Promise<string | true>,
): Promise<{ largest: number; tripped: string }> {
  let lo = 0;
  const max = maxOf(ctx);
  let hi = max;
  let tripped = `nothing up to ${fmt(max)}`;
  // Powers of two first (cheap), then bisection between the last pass and the first failure.
  for (let s = Math.min(64 * 1024, max); s <= max; s = s * 2 > max && s < max ? max : s * 2) {
    if (ctx.signal?.aborted) return { largest: lo, tripped: INTERRUPTED };
    ctx.progress(`sweep ${label}: ${fmt(s)}`);
    const r = await probe(s);
    // The signal cut the probe in flight: what it says is the bench's doing, not the target's.
    if (r !== true && ctx.signal?.aborted) return { largest: lo, tripped: INTERRUPTED };
    if (r === true) lo = s;
    else {
      hi = s;
      tripped = r;
      break;
    }
  }
  if (hi === max && lo === max) return { largest: max, tripped };
  for (let i = 0; i < 6 && hi - lo > 16 * 1024; i++) {
    if (ctx.signal?.aborted) return { largest: lo, tripped: INTERRUPTED };
    const mid = Math.floor((lo + hi) / 2);
    ctx.progress(`sweep ${label}: ${fmt(mid)}`);
    const r = await probe(mid);
    if (r !== true && ctx.signal?.aborted) return { largest: lo, tripped: INTERRUPTED };
    if (r === true) lo = mid;
    else {
      hi = mid;
      tripped = r;
    }
  }
  return { largest: lo, tripped };
}

/** The mocks' text for a sweep request (it has no seed), checked as it arrives. */
const checker = (body: Record<string, unknown>, tokens: number) =>
  new Checker(chatPromptKey(body.messages as { role: string; content: string }[]), undefined, tokens);

/**
 * An answer that ended cleanly passes when it holds its whole text: a gateway that ends a body's JSON, or a stream with
 * [DONE], after part of the text (a buffer it cut cleanly) had the size counted as passing, and the limit never found.
 */
function textVerdict(check: Checker, tokens: number, how: string): string | true {
  if (check.whole) return true;
  if (!check.ok) return `its text differs from the mocks' after ${check.matched} bytes`;
  return `${how} after ${check.matched} bytes of text, short of its ${tokens} tokens`;
}

/**
 * A request body passes when it was answered: a whole 200 with choices. A 200 whose body is an error (a gateway's
 * "request too large" said with status 200), or no answer at all, is where the size tripped — taken on its status
 * alone, such a body passed every size and `sweep.requestBytes` read the largest tried.
 */
function requestVerdict(r: Answer): string | true {
  if (r.status !== 200) return statusAndCode(r.status, r.body);
  if (!r.complete) return `cut at ${r.body.length} bytes`;
  let j: { error?: unknown; choices?: unknown } | null;
  try {
    j = JSON.parse(r.body.toString()) as { error?: unknown; choices?: unknown } | null;
  } catch {
    return 'a 200 whose body is not JSON';
  }
  if (j?.error) return `200 ${label((j.error as { code?: unknown }).code) ?? 'error'}: an error body`;
  if (!Array.isArray(j?.choices)) return 'a 200 without choices';
  // A choice a client reads an answer from, as the load counts one (exchange.ts): `choices: []` or `[null]` proved the size.
  return readable(j.choices[0]) ? true : 'a 200 without a choice to read';
}

export async function sweep(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.live.begin('sweep');
  const request = await search(ctx, 'request body', async (size) => {
    // Words, not one run of a letter: a tokenizer meets prose in a cost proportional to it.
    const r = await post(ctx, chatBody(ctx, 'word '.repeat(Math.ceil(size / 5)).slice(0, size), { max_tokens: 1 }), {
      pace: false,
      signal: ctx.signal,
    });
    return requestVerdict(r);
  });
  const answer = await search(ctx, 'answer', async (size) => {
    const tokens = Math.ceil(size / MEAN_TOKEN_BYTES);
    const body = chatBody(ctx, 'sweep [[mock ttft=0ms tps=0]]', { max_tokens: tokens });
    const r = await post(ctx, body, { maxBytes: 2 * size + 1024 * 1024, signal: ctx.signal });
    if (r.status !== 200) return statusAndCode(r.status, r.body);
    const declared = Number(r.headers['content-length'] ?? NaN);
    if (!r.complete || (Number.isFinite(declared) && r.body.length < declared)) return `cut at ${r.body.length} bytes`;
    let content: unknown;
    try {
      content = (JSON.parse(r.body.toString()) as { choices?: { message?: { content?: unknown } | null }[] } | null)?.choices?.[0]?.message
        ?.content;
    } catch {
      return `cut at ${r.body.length} bytes: its JSON ends early`;
    }
    if (typeof content !== 'string') return 'a whole answer without its text';
    const check = checker(body, tokens);
    check.feed(content);
    return textVerdict(check, tokens, 'a whole JSON body');
  });
  const streamed = await search(ctx, 'stream', async (size) => {
    const tokens = Math.ceil(size / MEAN_TOKEN_BYTES);
    let text = 0;
    let done = false;
    const body = chatBody(ctx, 'sweep stream [[mock ttft=0ms tps=0 chunk=64]]', { max_tokens: tokens });
    const check = checker(body, tokens);
    const r = await stream(
      ctx,
      body,
      {
        onEvent: (ev) => {
          if (ev.data === '[DONE]') done = true;
          else if (ev.data) {
            const t = deltaText(ev.data) ?? '';
            text += Buffer.byteLength(t);
            check.feed(t);
          }
        },
      },
      ctx.signal,
    );
    if (r.status !== 200) return `HTTP ${r.status}`;
    if (r.errorEvent !== undefined) return `an error event (${r.errorEvent}) after ${text} bytes of text`;
    if (!(done && r.complete)) return `cut after ${text} bytes of text`;
    return textVerdict(check, tokens, 'a stream ended cleanly');
  });
  return {
    figures: {
      'sweep.requestBytes': request.largest,
      'sweep.answerBytes': answer.largest,
      'sweep.streamBytes': streamed.largest,
    },
    lines: [
      `sweep       largest request body ${fmt(request.largest)} (beyond: ${request.tripped})`,
      `            largest non-streamed answer ${fmt(answer.largest)} (beyond: ${answer.tripped})`,
      `            largest stream ${fmt(streamed.largest)} (beyond: ${streamed.tripped})`,
    ],
  };
}
