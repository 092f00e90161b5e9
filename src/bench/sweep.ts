/**
 * `sweep`: binary searches for the largest request body, non-streamed answer and stream that pass intact,
 * and names what tripped beyond it (413, 502, a cut at N bytes).
 */
import { MEAN_TOKEN_BYTES } from '../mock/text.js';
import { chatBody, deltaText, post, stream } from './client.js';
import type { BenchContext, ScenarioResult } from './context.js';
import { statusAndCode } from './record.js';

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

export async function sweep(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.live.begin('sweep');
  const request = await search(ctx, 'request body', async (size) => {
    // Words, not one run of a letter: a tokenizer meets prose in a cost proportional to it.
    const r = await post(ctx, chatBody(ctx, 'word '.repeat(Math.ceil(size / 5)).slice(0, size), { max_tokens: 1 }), {
      pace: false,
      signal: ctx.signal,
    });
    return r.status === 200 ? true : statusAndCode(r.status, r.body);
  });
  const answer = await search(ctx, 'answer', async (size) => {
    const tokens = Math.ceil(size / MEAN_TOKEN_BYTES);
    const r = await post(ctx, chatBody(ctx, 'sweep [[mock ttft=0ms tps=0]]', { max_tokens: tokens }), {
      maxBytes: 2 * size + 1024 * 1024,
      signal: ctx.signal,
    });
    if (r.status !== 200) return statusAndCode(r.status, r.body);
    const declared = Number(r.headers['content-length'] ?? NaN);
    if (!r.complete || (Number.isFinite(declared) && r.body.length < declared)) return `cut at ${r.body.length} bytes`;
    return true;
  });
  const streamed = await search(ctx, 'stream', async (size) => {
    const tokens = Math.ceil(size / MEAN_TOKEN_BYTES);
    let text = 0;
    let done = false;
    const r = await stream(
      ctx,
      chatBody(ctx, 'sweep stream [[mock ttft=0ms tps=0 chunk=64]]', { max_tokens: tokens }),
      {
        onEvent: (ev) => {
          if (ev.data === '[DONE]') done = true;
          else if (ev.data) text += Buffer.byteLength(deltaText(ev.data) ?? '');
        },
      },
      ctx.signal,
    );
    if (r.status !== 200) return `HTTP ${r.status}`;
    return done && r.complete ? true : `cut after ${text} bytes of text`;
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
