/**
 * Token counting with js-tiktoken (o200k_base), bounded in time whatever the input. BPE is quadratic in the
 * length of one pre-token: a 40k-character run with no whitespace takes minutes, and so does a long run of
 * spaces or newlines (tiktoken's pre-tokenizer keeps a whitespace run whole). So text is cut into segments
 * at whitespace, and any run — of whitespace or not — longer than MAX_RUN characters is cut again. For
 * ordinary text the count is exact (the cuts fall where the tokenizer splits anyway); for pathological runs
 * it stays within a few tokens per cut. Beyond a budget of characters or time, the rest is estimated and
 * the count says it is not exact.
 */
import type { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage } from './wire.js';

export interface CountBudget {
  /** Characters counted exactly per call; the rest is estimated at 4 characters a token. */
  maxChars: number;
  /** Milliseconds of counting per call, checked between segments. */
  maxMs: number;
}

export interface TokenCounter {
  text(text: string): number;
  chat(messages: readonly ChatMessage[]): number;
  prompt(prompt: string | readonly string[] | readonly number[] | readonly (readonly number[])[]): number;
  /** Whether the last call counted every character exactly (false: part of it was estimated). */
  readonly exact: boolean;
}

/** Generous enough for any real prompt, small enough that no input holds a thread for long. */
export const DEFAULT_BUDGET: CountBudget = { maxChars: 4 * 1024 * 1024, maxMs: 2000 };

let loading: Promise<TokenCounter> | undefined;

/** Loads the o200k ranks once (about half a second) and returns a counter. */
export function loadTokenCounter(budget: CountBudget = DEFAULT_BUDGET): Promise<TokenCounter> {
  loading ??= (async () => {
    const [{ Tiktoken }, { default: ranks }] = await Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/o200k_base')]);
    return makeCounter(new Tiktoken(ranks), budget);
  })();
  return loading;
}

/**
 * The counter. Self-contained on purpose (no reference to anything outside its body): the tokenizer worker
 * runs this very function, serialised with toString(), so the thread counts exactly as the main thread
 * would — from compiled code and from source alike.
 */
export function makeCounter(enc: Pick<Tiktoken, 'encode'>, budget: CountBudget): TokenCounter {
  const MAX_RUN = 64;
  const SEGMENT = 4096;
  /** OpenAI's chat accounting: each message costs 3 tokens of framing, a reply is primed with 3 more. */
  const TOKENS_PER_MESSAGE = 3;
  const TOKENS_PER_NAME = 1;
  const REPLY_PRIMING = 3;
  let charsLeft = 0;
  let deadline = 0;
  let exact = true;

  const begin = (): void => {
    charsLeft = budget.maxChars;
    deadline = Date.now() + budget.maxMs;
    exact = true;
  };
  const estimate = (s: string): number => {
    exact = false;
    return Math.ceil(s.length / 4);
  };
  const encode = (s: string): number => {
    if (!exact || charsLeft < s.length || Date.now() > deadline) return estimate(s);
    charsLeft -= s.length;
    return enc.encode(s).length;
  };
  const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
  const text = (s: string): number => {
    if (s.length === 0) return 0;
    if (s.length > charsLeft) return estimate(s);
    let total = 0;
    let start = 0;
    let runStart = 0;
    let runSpace = isSpace(s.charCodeAt(0));
    for (let i = 1; i < s.length; i++) {
      const space = isSpace(s.charCodeAt(i));
      if (space !== runSpace) {
        // Cut before whitespace once a segment is long enough: the tokenizer splits there too.
        if (space && i - start >= SEGMENT) {
          total += encode(s.slice(start, i));
          start = i;
        }
        runSpace = space;
        runStart = i;
      } else if (i - runStart >= MAX_RUN) {
        total += encode(s.slice(start, i));
        start = runStart = i;
      }
    }
    return total + encode(s.slice(start));
  };
  const contentText = (m: ChatMessage): string => {
    const c = m.content;
    if (typeof c === 'string') return c;
    if (!Array.isArray(c)) return '';
    let out = '';
    for (const part of c) if (typeof part?.text === 'string') out += part.text;
    return out;
  };
  return {
    get exact() {
      return exact;
    },
    text(s) {
      begin();
      return text(s);
    },
    chat(messages) {
      begin();
      let total = REPLY_PRIMING;
      for (const m of messages) {
        total += TOKENS_PER_MESSAGE + text(String(m.role)) + text(contentText(m));
        if (typeof m.name === 'string') total += TOKENS_PER_NAME + text(m.name);
      }
      return total;
    },
    prompt(prompt) {
      begin();
      if (typeof prompt === 'string') return text(prompt);
      let total = 0;
      for (const p of prompt) {
        if (typeof p === 'string') total += text(p);
        else if (typeof p === 'number') total += 1;
        else if (Array.isArray(p)) total += p.length;
      }
      return total;
    },
  };
}
