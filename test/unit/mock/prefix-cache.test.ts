/** The vLLM mock's prefix cache as pure parts: block chains, the LRU, the prompt token stream and the prefill account. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockChain } from '../../../src/mock/block-chain.js';
import { Prefill } from '../../../src/mock/prefill.js';
import { PrefixCache } from '../../../src/mock/prefix-cache.js';
import { PromptTokens } from '../../../src/mock/prompt-tokens.js';
import { chatPromptKey, generateText, textSeed } from '../../../src/mock/text.js';
import { makeBpeEncoder } from '../../../src/openai/bpe.js';
import { loadTokenCounter, makeCounter } from '../../../src/openai/tokens.js';
import type { ChatMessage } from '../../../src/openai/wire.js';

const counter = await loadTokenCounter();
const seq = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const chainOf = (ids: number[], model = 'm', blockTokens = 4, maxBlocks = 1000) => {
  const c = new BlockChain(model, blockTokens, maxBlocks);
  c.push(ids);
  return c;
};

describe('block chains', () => {
  it('give equal keys to equal prefixes, and a changed token changes its block and every later one', () => {
    const a = chainOf(seq(20));
    const b = chainOf([...seq(9), 999, ...seq(10, 10)]);
    expect(a.keys).toHaveLength(5);
    expect(b.keys.slice(0, 2)).toEqual(a.keys.slice(0, 2));
    for (let i = 2; i < 5; i++) expect(b.keys[i]).not.toBe(a.keys[i]);
  });

  it('chain: the same block after different prefixes gets different keys', () => {
    const a = chainOf([1, 2, 3, 4, 9, 9, 9, 9]);
    const b = chainOf([5, 6, 7, 8, 9, 9, 9, 9]);
    expect(a.keys[1]).not.toBe(b.keys[1]);
  });

  it('salt the first block with the model name', () => {
    expect(chainOf(seq(8), 'llama').keys[0]).not.toBe(chainOf(seq(8), 'qwen').keys[0]);
  });

  it('ignore a partial last block and stop at maxBlocks', () => {
    expect(chainOf(seq(7)).keys).toHaveLength(1);
    const capped = chainOf(seq(1000), 'm', 4, 3);
    expect(capped.keys).toHaveLength(3);
    expect(capped.full).toBe(true);
  });

  it('do not depend on how the stream is cut into pieces', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 200 }), fc.array(fc.nat(200)), (ids, cuts) => {
        const whole = chainOf(ids, 'm', 8);
        const pieces = new BlockChain('m', 8, 1000);
        const points = [...new Set(cuts.map((c) => Math.min(c, ids.length)))].sort((x, y) => x - y);
        let at = 0;
        for (const p of [...points, ids.length]) {
          pieces.push(ids.slice(at, p));
          at = p;
        }
        expect(pieces.keys).toEqual(whole.keys);
      }),
    );
  });
});

describe('the prefix cache LRU', () => {
  it('never counts the last prompt token as cached (vLLM recomputes it for logits)', () => {
    const cache = new PrefixCache(100, 4);
    const c = chainOf(seq(16));
    expect(cache.admit(c, 16)).toBe(0);
    // Four full blocks are stored, but only three may be hits for a 16-token prompt.
    expect(cache.admit(chainOf(seq(16)), 16)).toBe(12);
    expect(cache.admit(chainOf(seq(17)), 17)).toBe(16);
  });

  it('stops at the first missing block: a hit is a prefix', () => {
    const cache = new PrefixCache(100, 4);
    cache.admit(chainOf(seq(12)), 13);
    expect(cache.admit(chainOf([...seq(4), 77, 77, 77, 77, ...seq(4, 8)]), 13)).toBe(4);
  });

  it('holds at most `blocks` keys, evicting the tail of an old prefix before its head', () => {
    const cache = new PrefixCache(4, 4);
    cache.admit(chainOf(seq(16)), 17); // blocks A0..A3
    cache.admit(chainOf(seq(8, 100)), 9); // two more: the cache must drop two of A's
    expect(cache.resident).toBe(4);
    expect(cache.evictions).toBe(2);
    // A's head survives: the first two blocks still hit.
    expect(cache.admit(chainOf(seq(16)), 17)).toBe(8);
  });

  it('is deterministic: the same requests in the same order give the same hits', () => {
    const run = () => {
      const cache = new PrefixCache(8, 4);
      const hits: number[] = [];
      for (let i = 0; i < 50; i++) hits.push(cache.admit(chainOf(seq(4 * (1 + (i % 5)), i % 3)), 4 * (1 + (i % 5)) + 1));
      return hits;
    };
    expect(run()).toEqual(run());
  });
});

const Message = fc.record(
  {
    role: fc.constantFrom('system', 'user', 'assistant', 'tool'),
    content: fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.constant(null),
      // Parts: a refusal's and a thinking part's text are read by their type (vLLM renders them as text).
      fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 60 }) }),
          fc.record({ type: fc.constant('refusal'), refusal: fc.string({ maxLength: 60 }), text: fc.string({ maxLength: 5 }) }),
          fc.record({ type: fc.constant('thinking'), thinking: fc.string({ maxLength: 60 }) }),
        ),
        { maxLength: 3 },
      ),
    ),
    // Empty too: the counter counts a name's marker whatever its length (an empty one was left out of the stream).
    name: fc.string({ maxLength: 10 }),
    // Counted as the template renders them (openai/wire.ts promptText, and the counter's own copy of it): any shape.
    tool_calls: fc.array(
      fc.oneof(
        fc.record({ function: fc.record({ name: fc.string({ maxLength: 12 }), arguments: fc.string({ maxLength: 80 }) }) }),
        fc.constant(null),
        fc.record({ function: fc.constant(7) }),
      ),
      { maxLength: 3 },
    ),
    function_call: fc.record({ name: fc.string({ maxLength: 12 }), arguments: fc.string({ maxLength: 40 }) }),
    // An assistant's reasoning sent back (vLLM's `reasoning`, SGLang's `reasoning_content`): counted, one of them.
    reasoning: fc.string({ maxLength: 40 }),
    reasoning_content: fc.string({ maxLength: 40 }),
  },
  { requiredKeys: ['role', 'content'] },
) as fc.Arbitrary<ChatMessage>;

const flat = (pieces: readonly ArrayLike<number>[]) => pieces.flatMap((p) => Array.from(p));

describe('the prompt token stream', () => {
  it('is exactly as long as the prompt_tokens the mock reports (OpenAI chat accounting)', () => {
    const tokens = new PromptTokens(counter);
    fc.assert(
      fc.property(fc.array(Message, { minLength: 1, maxLength: 6 }), (messages) => {
        const s = tokens.chat(messages);
        expect(s.tokens).toBe(counter.chat(messages));
        expect(flat(s.pieces)).toHaveLength(s.tokens);
      }),
      { numRuns: 60 },
    );
  });

  it('stays as long as the reported count past the budget: one budget for the conversation, spent as chat spends it', async () => {
    // A budget of 120 characters, so that the fuzzed conversations cross it anywhere (a role, a text, a name).
    const { default: ranks } = await import('js-tiktoken/ranks/o200k_base');
    const small = makeCounter(makeBpeEncoder(ranks), { maxChars: 120, maxMs: Number.POSITIVE_INFINITY });
    const tokens = new PromptTokens(small, 1_000_000, 120);
    fc.assert(
      fc.property(fc.array(Message, { minLength: 1, maxLength: 6 }), (messages) => {
        const s = tokens.chat(messages);
        expect(s.tokens).toBe(small.chat(messages));
        expect(flat(s.pieces)).toHaveLength(s.tokens);
        // Appending a turn changes no id before it.
        const next = tokens.chat([...messages, { role: 'user', content: 'and then? '.repeat(20) }]);
        expect(flat(next.pieces).slice(0, s.tokens - 3)).toEqual(flat(s.pieces).slice(0, s.tokens - 3));
      }),
      { numRuns: 80 },
    );
  });

  it("continues with the answer: prompt + answer is a prefix of the next turn's prompt", () => {
    const tokens = new PromptTokens(counter);
    fc.assert(
      fc.property(fc.array(Message, { minLength: 1, maxLength: 3 }), fc.nat(), fc.integer({ min: 1, max: 80 }), (messages, seed, n) => {
        const state = textSeed(chatPromptKey(messages), seed);
        const answer = generateText(chatPromptKey(messages), seed, n);
        const before = [...flat(tokens.chat(messages).pieces), ...flat(tokens.answer(state, n))];
        const next = [...messages, { role: 'assistant', content: answer }, { role: 'user', content: 'and then?' }];
        expect(flat(tokens.chat(next).pieces).slice(0, before.length)).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });

  it('uses token ids given as a completion prompt as they are', () => {
    const s = new PromptTokens(counter).completion([5, 6, 7]);
    expect(flat(s.pieces)).toEqual([5, 6, 7]);
    expect(new PromptTokens(counter).completion(['ab', 'cd']).tokens).toBe(counter.prompt(['ab', 'cd']));
  });

  it('remembers texts within its budget only', () => {
    const tokens = new PromptTokens(counter, 100);
    const a = tokens.ids('one two three');
    expect(tokens.ids('one two three')).toBe(a);
    for (let i = 0; i < 200; i++) tokens.ids(`filler number ${i}`);
    expect(tokens.ids('one two three')).not.toBe(a);
  });
});

describe('the prefill account', () => {
  const messages = [
    { role: 'system', content: 'You are terse. '.repeat(40) },
    { role: 'user', content: 'hi' },
  ];

  it('without a cache: every prompt token is computed, and the usage has no cached count', () => {
    const p = new Prefill(counter, undefined);
    const plan = p.plan('m', { messages }, 1);
    expect(plan.cachedTokens).toBe(0);
    p.plan('m', { messages }, 1);
    expect(p.toJSON()).toEqual({
      enabled: false,
      unit: 'tokens',
      hits: 0,
      misses: 2 * plan.promptTokens,
      hitRate: 0,
      prefillTokens: { computed: 2 * plan.promptTokens, saved: 0 },
    });
  });

  it('with a cache: the second identical prompt computes only its last partial block', () => {
    const p = new Prefill(counter, { blocks: 100, blockTokens: 16 });
    const first = p.plan('m', { messages }, 1);
    first.finish(10);
    const second = p.plan('m', { messages }, 1);
    expect(second.cachedTokens).toBe(Math.floor((second.promptTokens - 1) / 16) * 16);
    expect(p.toJSON()).toMatchObject({ enabled: true, hits: second.cachedTokens, misses: 2 * first.promptTokens - second.cachedTokens });
    p.reset();
    expect(p.plan('m', { messages }, 1).cachedTokens).toBe(0);
  });

  it('keys by model: the same prompt for another model is a miss', () => {
    const p = new Prefill(counter, { blocks: 100, blockTokens: 16 });
    p.plan('a', { messages }, 1);
    expect(p.plan('b', { messages }, 1).cachedTokens).toBe(0);
  });

  it('stays bounded for a prompt far larger than the cache', () => {
    const p = new Prefill(counter, { blocks: 64, blockTokens: 16 });
    const huge = [{ role: 'user', content: 'x'.repeat(3 * 1024 * 1024) }];
    const t = performance.now();
    const a = p.plan('m', { messages: huge }, 1);
    a.finish(100_000);
    const b = p.plan('m', { messages: huge }, 1);
    expect(performance.now() - t).toBeLessThan(5000);
    expect(a.promptTokens).toBe(counter.chat(huge));
    expect(b.cachedTokens).toBe(64 * 16);
    expect(p.cache!.resident).toBeLessThanOrEqual(64);
  });
});
