/**
 * What prefill costs each request on one mock, and the account across requests (`/mock/stats`
 * `prefixCache`): prompt tokens computed vs served from the simulated prefix cache. Without a cache every
 * prompt token is computed, so the same figures compare a cached fleet with an uncached one.
 */
import { sha256 } from '../core/sha256.js';
import type { TokenCounter } from '../openai/tokens.js';
import { type ChatMessage, promptText } from '../openai/wire.js';
import { BlockChain } from './block-chain.js';
import { PrefixCache } from './prefix-cache.js';
import { type CompletionPrompt, PromptTokens } from './prompt-tokens.js';

export type PromptOf = { messages: readonly ChatMessage[] } | { prompt: CompletionPrompt };

export interface PrefillPlan {
  readonly promptTokens: number;
  readonly cachedTokens: number;
  /** Called once the answer ended with `produced` tokens: its blocks join the cache (vLLM keeps them too). */
  finish(produced: number): void;
}

/** Prompt token counts of recent prompts when there is no cache: load tests repeat prompts, and tokenizing is the costly part. */
const COUNT_CACHE_MAX = 2048;
/** A prompt key longer than this is remembered by its digest, not its text (see `countKey`). */
const MAX_KEPT_KEY = 256;

/**
 * What the count cache keys a prompt by: short prompts as they are, longer ones by their SHA-256 — keyed by the whole
 * text, 2,048 distinct prompts of up to 64 MiB each (a client's choice) stayed on the mock's heap: 24 of 2 MB held 48 MB.
 */
function countKey(key: string): string {
  return key.length <= MAX_KEPT_KEY ? key : `sha256:${sha256(key, 'base64')}`;
}

/**
 * Everything a prompt's count reads, each field a JSON literal so that no two prompts share a key: for a chat, each
 * message's role, name and text with its tool calls (what the counter's chat counts); for completions, the prompt as
 * JSON (a string quoted, token ids not). The text key (text.ts) was the key before: it holds neither names nor tool
 * calls, and its joins are ambiguous — a second request that differed only in a tool call's arguments, a name, or
 * "a\n\nuser\nb" sent as one message or two, got the first's count as its prompt_tokens.
 */
function promptCountKey(of: PromptOf): string {
  if (!('messages' in of)) return countKey(JSON.stringify(of.prompt));
  let key = '';
  for (const m of of.messages) {
    key += `${JSON.stringify(String(m.role))},${typeof m.name === 'string' ? JSON.stringify(m.name) : 'null'},${JSON.stringify(promptText(m))};`;
  }
  return countKey(key);
}

export class Prefill {
  computed = 0;
  saved = 0;
  readonly cache: PrefixCache | undefined;
  private readonly tokens: PromptTokens | undefined;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly counter: TokenCounter,
    config: { blocks: number; blockTokens: number } | undefined,
  ) {
    this.cache = config ? new PrefixCache(config.blocks, config.blockTokens) : undefined;
    this.tokens = config ? new PromptTokens(counter) : undefined;
  }

  /** `textState`: the answer's generator state. */
  plan(model: string, of: PromptOf, textState: number): PrefillPlan {
    if (!this.cache || !this.tokens) {
      const promptTokens = this.count(of);
      this.computed += promptTokens;
      return { promptTokens, cachedTokens: 0, finish: () => {} };
    }
    const { cache, tokens } = this;
    const stream = 'messages' in of ? tokens.chat(of.messages) : tokens.completion(of.prompt);
    const chain = new BlockChain(model, cache.blockTokens, cache.blocks);
    for (const piece of stream.pieces) {
      if (chain.full) break;
      chain.push(piece);
    }
    const cachedTokens = cache.admit(chain, stream.tokens);
    this.saved += cachedTokens;
    this.computed += stream.tokens - cachedTokens;
    return {
      promptTokens: stream.tokens,
      cachedTokens,
      finish: (produced) => {
        if (produced <= 0 || chain.full) return;
        // Never hash more of the answer than the cache could hold.
        const room = (chain.maxBlocks - chain.keys.length + 1) * cache.blockTokens;
        for (const piece of tokens.answer(textState, Math.min(produced, room))) chain.push(piece);
        cache.store(chain);
      },
    };
  }

  private count(of: PromptOf): number {
    const key = promptCountKey(of);
    let n = this.counts.get(key);
    if (n === undefined) {
      n = 'messages' in of ? this.counter.chat(of.messages) : this.counter.prompt(of.prompt);
      if (this.counts.size >= COUNT_CACHE_MAX) this.counts.clear();
      this.counts.set(key, n);
    }
    return n;
  }

  /** Zeroes the account and empties the cache: a reset mock behaves as a freshly started one. */
  reset(): void {
    this.computed = this.saved = 0;
    this.cache?.clear();
    this.cache?.resetCounters();
  }

  /** Counted in prompt tokens, as vLLM's prefix_cache_queries / prefix_cache_hits are. */
  toJSON(): object {
    const total = this.computed + this.saved;
    const c = this.cache;
    return {
      enabled: c !== undefined,
      unit: 'tokens',
      hits: this.saved,
      misses: this.computed,
      hitRate: total > 0 ? this.saved / total : 0,
      prefillTokens: { computed: this.computed, saved: this.saved },
      ...(c
        ? {
            blocks: {
              capacity: c.blocks,
              blockTokens: c.blockTokens,
              resident: c.resident,
              hits: c.hitBlocks,
              misses: c.missBlocks,
              evictions: c.evictions,
            },
          }
        : {}),
    };
  }
}
