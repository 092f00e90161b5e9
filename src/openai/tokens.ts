/**
 * Token counting with o200k_base (js-tiktoken's ranks, our compact encoder in openai/bpe.ts), bounded in time
 * whatever the input. BPE is quadratic in the length of one pre-token (js-tiktoken took minutes on a 40k-character
 * run with no whitespace, and on a long run of spaces or newlines, which tiktoken's pre-tokenizer keeps whole).
 * So text is cut into segments at whitespace, and any run — of whitespace or not — longer than MAX_RUN
 * characters is cut again. For ordinary text the count is exact (the cuts fall where the tokenizer splits
 * anyway); for pathological runs it stays within a few tokens per cut. Beyond a budget of characters or time,
 * the rest is estimated and the count says it is not exact.
 */
import { type BpeEncoder, makeBpeEncoder } from './bpe.js';
import type { ChatMessage } from './wire.js';

export interface CountBudget {
  /** Characters counted exactly per call; the rest is estimated at 4 characters a token. */
  maxChars: number;
  /** Milliseconds of counting per call, checked between segments. */
  maxMs: number;
}

export interface TokenCounter {
  text(text: string): number;
  /**
   * The token ids of `text`, cut at the same places as `text()` so that `ids(s).length === text(s)`. What is
   * over the budget gets `ceil(length / 4)` stand-in ids (a hash of each 4 characters, above o200k's range),
   * so a prefix of a huge text still yields a prefix of its ids.
   */
  ids(text: string): Uint32Array;
  /**
   * The ids of `text` in a prompt whose budget has run out with `charsLeft` characters unspent — stand-ins only, as
   * many as `chat` counts for such a text: for a caller that keeps one prompt's budget over texts it tokenizes one
   * by one (the mock's prompt stream).
   */
  idsPastBudget(text: string, charsLeft: number): Uint32Array;
  chat(messages: readonly ChatMessage[]): number;
  prompt(prompt: string | readonly string[] | readonly number[] | readonly (readonly number[])[]): number;
  /** Whether the last call counted every character exactly (false: part of it was estimated). */
  readonly exact: boolean;
}

/**
 * The gateway's tokenizer thread: generous enough for any real prompt, and bounded in time (the thread is
 * shared by every request; past the budget a count says it is an estimate).
 */
export const WORKER_BUDGET: CountBudget = { maxChars: 4 * 1024 * 1024, maxMs: 2000 };

/**
 * The mocks count on their own event loop (which `serve --mocks` shares with the gateway), and their usage
 * must be deterministic: a character budget only — the first 256 KiB of a prompt exactly, the rest at
 * 4 characters a token — which keeps even pathological text to a bounded, small pause.
 */
export const MOCK_BUDGET: CountBudget = { maxChars: 256 * 1024, maxMs: Number.POSITIVE_INFINITY };

const loaded = new Map<string, Promise<TokenCounter>>();

/** Loads the o200k ranks once (about a tenth of a second) and returns a counter with the given budget. */
export function loadTokenCounter(budget: CountBudget = MOCK_BUDGET): Promise<TokenCounter> {
  const key = `${budget.maxChars}/${budget.maxMs}`;
  let counter = loaded.get(key);
  if (!counter) {
    counter = (async () => {
      const { default: ranks } = await import('js-tiktoken/ranks/o200k_base');
      return makeCounter(makeBpeEncoder(ranks), budget);
    })();
    loaded.set(key, counter);
  }
  return counter;
}

/**
 * The counter. Self-contained on purpose (no reference to anything outside its body): the tokenizer worker
 * runs this very function, serialised with toString(), so the thread counts exactly as the main thread
 * would — from compiled code and from source alike.
 */
export function makeCounter(enc: Pick<BpeEncoder, 'encode'>, budget: CountBudget): TokenCounter {
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
  /**
   * Whitespace as the pre-tokenizer's `\s` reads it (Unicode's, not ASCII's alone). With four ASCII characters here, a
   * text alternating a space with U+3000 (or U+00A0, U+2028) changed class every character, so no run reached MAX_RUN,
   * while the pre-tokenizer's `\s+` kept each 4,096-character segment whole: one pre-token, merged in quadratic time —
   * 40,960 such characters (80 KB of body) held the tokenizer thread its whole 2 s budget, 30 times what as many
   * letters take. Written out, not imported: makeCounter's source text runs in the tokenizer thread (token-worker.ts);
   * the same test as core/whitespace.ts isSpace.
   */
  const isSpace = (c: number): boolean =>
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0xa0 &&
      (c === 0xa0 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000 ||
        c === 0xfeff));
  /** Calls `visit` on consecutive pieces of `s` the tokenizer can encode independently. */
  const forEachPiece = (s: string, visit: (piece: string) => void): void => {
    let start = 0;
    let runStart = 0;
    let runSpace = isSpace(s.charCodeAt(0));
    // The one pre-token spanning both classes: punctuation's tail `[\r\n/]*`, which alternates a slash and a newline.
    let tail = 0;
    for (let i = 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const space = isSpace(c);
      tail = c === 0x2f || c === 0x0a || c === 0x0d ? tail + 1 : 0;
      if (tail > MAX_RUN) {
        visit(s.slice(start, i));
        start = runStart = i;
        runSpace = space;
        tail = 1;
      } else if (space !== runSpace) {
        // Cut before whitespace once a segment is long enough: the tokenizer splits there too.
        if (space && i - start >= SEGMENT) {
          visit(s.slice(start, i));
          start = i;
        }
        runSpace = space;
        runStart = i;
      } else if (i - runStart >= MAX_RUN) {
        visit(s.slice(start, i));
        start = runStart = i;
      }
    }
    visit(s.slice(start));
  };
  const text = (s: string): number => {
    if (s.length === 0) return 0;
    if (s.length > charsLeft) return estimate(s);
    let total = 0;
    forEachPiece(s, (piece) => {
      total += encode(piece);
    });
    return total;
  };
  /** Stand-in ids for text over the budget: one per 4 characters, above every real o200k id. */
  const standInIds = (s: string): number[] => {
    exact = false;
    const out: number[] = [];
    for (let j = 0; j * 4 < s.length; j++) {
      let h = 0x811c9dc5;
      for (let i = j * 4; i < Math.min(s.length, j * 4 + 4); i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      out.push((0x80000000 | (h >>> 1)) >>> 0);
    }
    return out;
  };
  const ids = (s: string): Uint32Array => {
    if (s.length === 0) return new Uint32Array(0);
    const parts: ArrayLike<number>[] = [];
    let n = 0;
    const add = (p: ArrayLike<number>) => {
      parts.push(p);
      n += p.length;
    };
    if (s.length > charsLeft) add(standInIds(s));
    else {
      forEachPiece(s, (piece) => {
        if (!exact || charsLeft < piece.length || Date.now() > deadline) return add(standInIds(piece));
        charsLeft -= piece.length;
        add(enc.encode(piece));
      });
    }
    const out = new Uint32Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  /** A tool call as a template renders it: its name and its arguments' text. */
  const callText = (f: unknown): string => {
    if (f === null || typeof f !== 'object') return '';
    const { name, arguments: args } = f as { name?: unknown; arguments?: unknown };
    return (typeof name === 'string' ? name : '') + (typeof args === 'string' ? args : '');
  };
  /**
   * A message's text: its content's, and the tool calls an assistant message made (`tool_calls`, the legacy
   * `function_call`), which the backend's template renders into the prompt as it does content. Counted from content
   * alone, a conversation whose bulk was its tool calls' arguments was counted as nearly nothing. (openai/wire.ts
   * promptText is the same for the mocks' prompt stream: this counter runs serialised in the tokenizer thread, so it
   * holds its own copy — a property test keeps the two equal.) A refusal part's `refusal` and a thinking part's
   * `thinking` are text too: vLLM renders them as it renders a text part's `text`.
   */
  /**
   * An assistant turn's reasoning as a client sends it back (vLLM's `reasoning`, SGLang's `reasoning_content`): the
   * backend hands it to the template, which renders it (Qwen3's, GLM's, MiniMax's: the turns after the last user's).
   */
  const reasoningText = (m: ChatMessage): string => {
    if (m.role !== 'assistant') return '';
    const { reasoning, reasoning_content: content } = m as { reasoning?: unknown; reasoning_content?: unknown };
    return typeof reasoning === 'string' ? reasoning : typeof content === 'string' ? content : '';
  };
  const partText = (part: unknown): string => {
    if (part === null || typeof part !== 'object') return '';
    const { type, text, refusal, thinking } = part as { type?: unknown; text?: unknown; refusal?: unknown; thinking?: unknown };
    const t = type === 'refusal' ? refusal : type === 'thinking' ? thinking : text;
    return typeof t === 'string' ? t : '';
  };
  const contentText = (m: ChatMessage): string => {
    const c = m.content;
    let out = reasoningText(m);
    if (typeof c === 'string') out += c;
    else if (Array.isArray(c)) for (const part of c) out += partText(part);
    const { tool_calls: calls, function_call: call } = m as { tool_calls?: unknown; function_call?: unknown };
    if (Array.isArray(calls)) for (const t of calls) out += callText((t as { function?: unknown } | null)?.function);
    return out + callText(call);
  };
  return {
    get exact() {
      return exact;
    },
    text(s) {
      begin();
      return text(s);
    },
    ids(s) {
      begin();
      return ids(s);
    },
    idsPastBudget(s, left) {
      begin();
      charsLeft = left;
      exact = false;
      return ids(s);
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
