/**
 * Token counting with js-tiktoken (o200k_base), bounded so no input can block the event loop for long:
 * BPE is quadratic in the length of one pre-token, and a 40k-character run with no whitespace takes
 * minutes. Text is cut into segments at whitespace, and any run longer than MAX_RUN characters is cut
 * again. For ordinary text the count is exact (the cuts fall where the tokenizer splits anyway); for
 * pathological runs it stays within a few tokens per cut. Texts over 1 MiB are estimated.
 */
import type { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage } from './wire.js';
import { messageText } from './wire.js';

const MAX_RUN = 64;
/**
 * Beyond this many characters a text is estimated (4 characters a token) rather than encoded: a multi-MiB
 * prompt of one repeated character would otherwise keep a mock busy for tens of seconds.
 */
const MAX_EXACT_CHARS = 1024 * 1024;
/** OpenAI's chat accounting: each message costs 3 tokens of framing, a reply is primed with 3 more. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;

export interface TokenCounter {
  text(text: string): number;
  /**
   * The token ids of `text`, cut at the same places as `text()` so that `ids(s).length === text(s)`.
   * Texts over the exact-count limit get `ceil(length / 4)` stand-in ids (a hash of each 4 characters,
   * above o200k's range), so a prefix of a huge text still yields a prefix of its ids.
   */
  ids(text: string): Uint32Array;
  chat(messages: readonly ChatMessage[]): number;
  prompt(prompt: string | readonly string[] | readonly number[] | readonly (readonly number[])[]): number;
}

let loading: Promise<TokenCounter> | undefined;

/** Loads the o200k ranks once (about half a second) and returns a counter. */
export function loadTokenCounter(): Promise<TokenCounter> {
  loading ??= (async () => {
    const [{ Tiktoken }, { default: ranks }] = await Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/o200k_base')]);
    return makeCounter(new Tiktoken(ranks));
  })();
  return loading;
}

/** Stand-in ids (one per 4 characters) sit above every real o200k id. */
const STAND_IN_BASE = 0x8000_0000;

/**
 * Calls `visit` on consecutive pieces of `s` that the tokenizer can encode independently: cuts fall before
 * whitespace once a piece is long enough (the tokenizer splits there too), and inside any run without
 * whitespace longer than MAX_RUN (where BPE would go quadratic).
 */
function forEachPiece(s: string, visit: (piece: string) => void): void {
  let start = 0;
  let runStart = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
    if (space) {
      runStart = -1;
      if (i - start >= 4096) {
        visit(s.slice(start, i));
        start = i;
      }
    } else if (runStart < 0) {
      runStart = i;
    } else if (i - runStart >= MAX_RUN) {
      visit(s.slice(start, i));
      start = runStart = i;
    }
  }
  visit(s.slice(start));
}

function standInIds(s: string): Uint32Array {
  const out = new Uint32Array(Math.ceil(s.length / 4));
  for (let j = 0; j < out.length; j++) {
    let h = 0x811c9dc5;
    for (let i = j * 4; i < Math.min(s.length, j * 4 + 4); i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    out[j] = (STAND_IN_BASE | (h >>> 1)) >>> 0;
  }
  return out;
}

function makeCounter(enc: Tiktoken): TokenCounter {
  const text = (s: string): number => {
    if (s.length === 0) return 0;
    if (s.length > MAX_EXACT_CHARS) return Math.ceil(s.length / 4);
    let total = 0;
    forEachPiece(s, (piece) => {
      total += enc.encode(piece).length;
    });
    return total;
  };
  const ids = (s: string): Uint32Array => {
    if (s.length === 0) return new Uint32Array(0);
    if (s.length > MAX_EXACT_CHARS) return standInIds(s);
    const parts: number[][] = [];
    let n = 0;
    forEachPiece(s, (piece) => {
      const p = enc.encode(piece);
      parts.push(p);
      n += p.length;
    });
    const out = new Uint32Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return {
    text,
    ids,
    chat(messages) {
      let total = REPLY_PRIMING;
      for (const m of messages) {
        total += TOKENS_PER_MESSAGE + text(m.role) + text(messageText(m));
        if (m.name) total += TOKENS_PER_NAME + text(m.name);
      }
      return total;
    },
    prompt(prompt) {
      if (typeof prompt === 'string') return text(prompt);
      let total = 0;
      for (const p of prompt) {
        if (typeof p === 'string') total += text(p);
        else if (typeof p === 'number') total += 1;
        else total += p.length;
      }
      return total;
    },
  };
}
