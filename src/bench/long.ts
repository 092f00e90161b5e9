/**
 * `long`: answers from 256 KiB to 64 MiB, streamed and not, each checked byte for byte against the mocks'
 * generator: complete, truncated at N bytes (and the size that was expected), or an error code. This is
 * the scenario that catches Envoy's 1 MB default buffer.
 */
import { chatPromptKey, MEAN_TOKEN_BYTES, textSeed, TokenSource } from '../mock/text.js';
import { answerDeadlineMs, chatBody, deltaText, post, stream } from './client.js';
import type { BenchContext, ScenarioResult } from './context.js';
import { contentCoding, statusAndCode } from './record.js';

export const LONG_SIZES = [256 * 1024, 1024 ** 2, 4 * 1024 ** 2, 16 * 1024 ** 2, 64 * 1024 ** 2];

const fmt = (n: number) => (n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(n % 1024 ** 2 ? 1 : 0)}MiB` : `${Math.round(n / 1024)}KiB`);

/** Compares arriving text with the generator's first `tokens` tokens, incrementally (no 64 MiB copies). */
export class Checker {
  private readonly src: TokenSource;
  private pending: Buffer = Buffer.alloc(0);
  matched = 0;
  ok = true;
  constructor(
    key: string,
    seed: number | undefined,
    private readonly tokens: number,
  ) {
    this.src = new TokenSource(textSeed(key, seed));
  }
  /**
   * Every token asked for arrived, and nothing after it. A stream is whole by its text, not by its [DONE]: a target
   * that ended a stream cleanly after a part of the text (or none) was counted complete.
   */
  get whole(): boolean {
    return this.ok && this.src.produced === this.tokens && this.pending.length === 0 && this.carry === '';
  }
  /**
   * A delta's last code unit when it is the first half of a surrogate pair: a target re-chunking text by UTF-16 code units
   * sends an emoji's halves in two deltas, which the client joins. Encoded a delta at a time, each half was U+FFFD, and a
   * whole answer read as corrupted.
   */
  private carry = '';
  feed(text: string): void {
    if (!this.ok) return;
    let joined = this.carry + text;
    this.carry = '';
    const last = joined.charCodeAt(joined.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.carry = joined.slice(-1);
      joined = joined.slice(0, -1);
    }
    let got: Buffer = Buffer.from(joined);
    while (got.length) {
      if (!this.pending.length) {
        // Text past the answer's last token is not the generator's.
        if (this.src.produced >= this.tokens) {
          this.ok = false;
          return;
        }
        this.pending = this.src.next();
      }
      const n = Math.min(got.length, this.pending.length);
      if (!got.subarray(0, n).equals(this.pending.subarray(0, n))) {
        this.ok = false;
        return;
      }
      this.matched += n;
      got = got.subarray(n);
      this.pending = this.pending.subarray(n);
    }
  }
}

export type LongOutcome = 'complete' | 'truncated' | 'corrupted' | 'error' | 'skipped';

export interface LongRow {
  size: string;
  bytes: number;
  mode: 'body' | 'stream';
  kind: LongOutcome;
  outcome: string;
  /** Bytes received when the answer was cut. */
  cutAt?: number;
}

/** A 2xx in a coding the bench did not ask for: the target's error, not a cut (its bytes are no text to measure). */
const coded = (coding: string) => `error: answered content-encoding ${coding}, which the bench did not ask for`;
/** An answer the bench itself cut on Ctrl-C: not what the target did, so neither a truncation nor an error. */
const cutByInterrupt = (bytes: number) => `interrupted after ${bytes} bytes: the bench cut it (not a finding)`;
/** An answer still coming at its deadline: the target's doing (it trickled or never answered), counted as an error. */
const cutAtDeadline = (ctx: BenchContext, bytes: number) =>
  `error cut_at_deadline: still coming ${answerDeadlineMs(ctx) / 1000}s after it was asked for (${bytes} bytes received)`;

export async function long(ctx: BenchContext): Promise<ScenarioResult> {
  const rows: LongRow[] = [];
  let truncations = 0;
  let errors = 0;
  let truncatedAt: number | undefined;
  const sizes = ctx.longSizes ?? LONG_SIZES;
  /** An answer was cut at its deadline: a larger one would be too, each after the same wait. */
  let stalled = false;
  ctx.live.begin('long');
  for (const size of sizes) {
    const tokens = Math.ceil(size / MEAN_TOKEN_BYTES);
    for (const mode of ['body', 'stream'] as const) {
      // Interrupted: the sizes not yet sent are left out; the answer in flight is cut (below).
      if (ctx.signal?.aborted) break;
      ctx.progress(`long: ${fmt(size)} ${mode}`);
      let kind: LongOutcome = 'complete';
      let cutAt: number | undefined;
      const body = chatBody(ctx, `a long answer of ${fmt(size)} [[mock ttft=0ms tps=0 chunk=64]]`, { max_tokens: tokens, seed: 11 });
      const key = chatPromptKey(body.messages as { role: string; content: string }[]);
      if (stalled) {
        rows.push({ size: fmt(size), bytes: size, mode, kind: 'skipped', outcome: 'not sent: an earlier answer was cut at its deadline' });
        continue;
      }
      // Under a token limit, one answer worth a quarter of the window's budget would starve every other scenario.
      const budget = ctx.pacer?.tokenLimit;
      if (budget !== undefined && tokens > budget / 4) {
        const outcome = `not sent: ~${tokens} tokens, over a quarter of the key's ${budget} per window`;
        rows.push({ size: fmt(size), bytes: size, mode, kind: 'skipped', outcome });
        continue;
      }
      // Anthropic's API has no seed: through it, the mocks' text is the unseeded one.
      const check = new Checker(key, ctx.api === 'anthropic' ? undefined : 11, tokens);
      let outcome: string;
      if (mode === 'body') {
        const r = await post(ctx, body, { maxBytes: 2 * size + 1024 * 1024, signal: ctx.signal });
        const declared = Number(r.headers['content-length'] ?? Number.NaN);
        // The answer's text; null when its JSON is whole but holds no text (`content: null`, a number): the target's
        // JSON is not trusted to be the shape asked for — a null passed on to the checker threw and ended the run.
        let content: string | null | undefined;
        if (r.status === 200 && r.complete) {
          try {
            const j = JSON.parse(r.body.toString()) as { choices?: { message?: { content?: unknown } | null }[] } | null;
            const text = j?.choices?.[0]?.message?.content;
            content = typeof text === 'string' ? text : null;
          } catch {
            content = undefined;
          }
        }
        if (r.skipped) {
          kind = 'skipped';
          outcome = `not sent: ${r.skipped}`;
        } else if (r.status !== 200 && r.status !== 0) {
          // A status received is the target's answer, whether or not the bench cut its body afterwards.
          kind = 'error';
          outcome = `error ${statusAndCode(r.status, r.body)}`;
        } else if (ctx.signal?.aborted && !(r.status === 200 && r.complete)) {
          kind = 'skipped';
          outcome = cutByInterrupt(r.body.length);
        } else if (r.cutAtDeadline) {
          kind = 'error';
          stalled = true;
          outcome = cutAtDeadline(ctx, r.body.length);
        } else if (r.status !== 200) {
          kind = 'error';
          outcome = `error ${statusAndCode(r.status, r.body)}`;
        } else if (contentCoding(r.headers)) {
          kind = 'error';
          outcome = coded(contentCoding(r.headers)!);
        } else if (!r.complete || (Number.isFinite(declared) && r.body.length < declared) || content === undefined) {
          // A cut connection, a body shorter than it declared, or one that ends cleanly before its JSON does.
          kind = 'truncated';
          cutAt = r.body.length;
          outcome = `truncated at ${r.body.length} bytes${Number.isFinite(declared) ? ` of ${declared}` : ''}`;
        } else if (content === null) {
          kind = 'corrupted';
          outcome = 'corrupted: a whole answer without its text';
        } else {
          check.feed(content);
          // Whole by its text, as a stream is: counting words passed a text cut inside its last word (or after the space
          // before it) as complete.
          const whole = check.whole;
          kind = whole ? 'complete' : check.ok ? 'truncated' : 'corrupted';
          if (kind === 'truncated') {
            // A prefix of the text in whole JSON: a gateway that cut at its buffer and wrote the JSON around what it kept.
            // Read as corrupted, it was no cut, and long.truncatedAt (where a buffer limit is read from) stayed null.
            cutAt = r.body.length;
            outcome = `truncated at ${r.body.length} bytes: a whole JSON body holding ${check.matched} bytes of the text`;
          } else outcome = whole ? 'complete' : `corrupted after ${check.matched} bytes`;
        }
      } else {
        let done = false;
        let text = 0;
        const r = await stream(
          ctx,
          body,
          {
            onEvent: (ev) => {
              if (ev.data === '[DONE]') done = true;
              else if (ev.data) {
                const t = deltaText(ev.data);
                if (t) {
                  text += Buffer.byteLength(t);
                  check.feed(t);
                }
              }
            },
          },
          ctx.signal,
        );
        if (r.skipped) {
          kind = 'skipped';
          outcome = `not sent: ${r.skipped}`;
        } else if (r.status !== 0 && r.status !== 200) {
          kind = 'error';
          outcome = `error HTTP ${r.status}`;
        } else if (r.coding) {
          kind = 'error';
          outcome = coded(r.coding);
        } else if (r.status === 200 && !check.ok) {
          // Wrong text already received is a finding, however the answer ended.
          kind = 'corrupted';
          outcome = `corrupted after ${check.matched} bytes`;
        } else if (r.errorEvent !== undefined) {
          // The client's SDK throws on it: the answer failed, whatever text came before.
          kind = 'error';
          outcome = `error ${r.errorEvent}: an error event in the stream after ${text} bytes of text`;
        } else if (ctx.signal?.aborted && !(done && r.complete)) {
          kind = 'skipped';
          outcome = cutByInterrupt(r.bytes);
        } else if (r.cutAtDeadline) {
          kind = 'error';
          stalled = true;
          outcome = cutAtDeadline(ctx, r.bytes);
        } else if (r.status !== 200) {
          kind = 'error';
          outcome = `error HTTP ${r.status}`;
        } else if (!done && r.notStream) {
          // A JSON answer to a stream holds no events: the target ignored `stream`, no buffer cut it.
          kind = 'error';
          outcome = `not a stream: answered ${r.notStream}`;
        } else if (!done || !r.complete) {
          kind = 'truncated';
          cutAt = r.bytes;
          outcome = `truncated at ${r.bytes} bytes (${text} of the text)`;
        } else if (!check.whole) {
          kind = 'truncated';
          cutAt = r.bytes;
          outcome = `truncated at ${r.bytes} bytes (${text} of the text), though the stream ended cleanly`;
        } else outcome = 'complete';
      }
      if (kind === 'truncated' || kind === 'corrupted') truncations++;
      if (kind === 'error') errors++;
      if (cutAt !== undefined) truncatedAt = Math.min(truncatedAt ?? cutAt, cutAt);
      rows.push({ size: fmt(size), bytes: size, mode, kind, outcome, ...(cutAt !== undefined ? { cutAt } : {}) });
    }
  }
  const skipped = rows.filter((r) => r.kind === 'skipped').length;
  // 0 truncations stands for every size only when every size was measured: the sizes left out (over a quarter of a token
  // limit, after a stall, or cut by an interrupt) are the large ones that meet a buffer, and a 0 from the small ones passed
  // `long.truncations==0` on a run that never sent them. Nor is a size answered with an error measured: Envoy past its
  // buffer answers 500 with none of the answer (its local reply), and counted apart as an error, the very failure the
  // gate is for passed it. A truncation seen is one whatever was left out.
  const unmeasured = skipped + errors;
  const proven = truncations > 0 || unmeasured === 0;
  return {
    figures: {
      'long.truncations': proven ? truncations : null,
      'long.errors': errors,
      'long.cases': rows.length,
      'long.skipped': skipped,
      // The smallest size at which an answer was cut (bytes received): 1048576 is Envoy's default buffer.
      'long.truncatedAt': truncatedAt ?? null,
    },
    lines: [
      `long        ${rows.length} answers, ${proven ? truncations : unmeasured === rows.length ? 'none measured, so none' : `none of the ${rows.length - unmeasured} measured (the rest unknown)`} truncated, ${errors} errors${skipped ? `, ${skipped} not measured (not sent, or cut by an interrupt)` : ''}` +
        `${truncatedAt !== undefined ? `; the smallest cut at ${truncatedAt} bytes` : ''}`,
      ...rows.map((r) => `            ${r.size.padStart(7)} ${r.mode.padEnd(6)} ${r.outcome}`),
    ],
    detail: rows,
  };
}
