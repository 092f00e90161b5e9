/** The gateway's prefix index and the prompt-text block hashes it is fed: bounded, O(blocks), prefix-stable. */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { chatPromptBlocks, completionPromptBlocks, MAX_PROMPT_BLOCKS, PROMPT_BLOCK_CHARS } from '../../../../src/routing/prompt-blocks.js';
import { PrefixIndex } from '../../../../src/routing/prefix-index.js';

const seq = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('the prefix index', () => {
  it('matches leading blocks only, per target', () => {
    const ix = new PrefixIndex();
    ix.record('a', seq(5));
    expect(ix.matchLength('a', seq(8))).toBe(5);
    expect(ix.matchLength('a', [0, 1, 99, 3])).toBe(2);
    expect(ix.matchLength('b', seq(5))).toBe(0);
    expect(ix.matchLength('a', [])).toBe(0);
  });

  it('keeps the head of a prompt longer than its capacity', () => {
    const ix = new PrefixIndex(4);
    ix.record('a', seq(10));
    expect(ix.size).toBe(4);
    expect(ix.matchLength('a', seq(10))).toBe(4);
  });

  it('evicts the least recently sent blocks, the tail of a prefix before its head', () => {
    const ix = new PrefixIndex(4);
    ix.record('a', seq(4));
    ix.record('a', seq(2, 100));
    expect(ix.matchLength('a', seq(4))).toBe(2);
  });

  it('stays under its bound after 1,000,000 distinct prefixes (capacity × targets keys)', () => {
    const ix = new PrefixIndex(10_000, 4);
    const ids = ['a', 'b', 'c', 'd'];
    const t = performance.now();
    for (let i = 0; i < 1_000_000; i++) ix.record(ids[i % 4]!, [i * 3, i * 3 + 1, i * 3 + 2]);
    const perRecord = (performance.now() - t) / 1_000_000;
    expect(ix.size).toBeLessThanOrEqual(4 * 10_000);
    expect(ix.size).toBe(40_000);
    // Recent prefixes are there, old ones are gone.
    expect(ix.matchLength('d', [999_999 * 3, 999_999 * 3 + 1, 999_999 * 3 + 2])).toBe(3);
    expect(ix.matchLength('a', [0, 1, 2])).toBe(0);
    // O(blocks): microseconds a record even on a loaded machine (orders of magnitude from anything per-prompt).
    expect(perRecord).toBeLessThan(0.05);
  });

  it('forgets whole targets beyond maxTargets', () => {
    const ix = new PrefixIndex(100, 3);
    for (const id of ['a', 'b', 'c', 'd']) ix.record(id, [1, 2]);
    expect(ix.matchLength('a', [1, 2])).toBe(0);
    expect(ix.matchLength('d', [1, 2])).toBe(2);
  });
});

const Text = fc.string({ unit: 'grapheme', maxLength: 400 });
const Msg = fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: Text });

describe('prompt blocks over the text', () => {
  it('are prefix-stable: a conversation’s next turn starts with the blocks of the one before', () => {
    fc.assert(
      fc.property(fc.array(Msg, { minLength: 1, maxLength: 5 }), Msg, (messages, next) => {
        const before = chatPromptBlocks('m', messages);
        const after = chatPromptBlocks('m', [...messages, next]);
        expect(after.slice(0, before.length)).toEqual(before);
      }),
    );
  });

  it('cut the text into 64-character blocks and ignore a partial last one', () => {
    const text = 'x'.repeat(PROMPT_BLOCK_CHARS * 3 + 10);
    expect(completionPromptBlocks('m', text)).toHaveLength(3);
    expect(completionPromptBlocks('m', 'short')).toEqual([]);
  });

  it('are keys no client can compute: each process folds a seed of its own into them (numeric Map keys are hashed without one)', async () => {
    const text = 'z'.repeat(PROMPT_BLOCK_CHARS * 4);
    const mine = completionPromptBlocks('m', text);
    expect(completionPromptBlocks('m', text)).toEqual(mine);
    // The module loaded afresh, as another process would load it: the same prompt, other keys.
    vi.resetModules();
    const fresh = await import('../../../../src/routing/prompt-blocks.js');
    const theirs = fresh.completionPromptBlocks('m', text);
    expect(theirs).toHaveLength(mine.length);
    for (let i = 0; i < mine.length; i++) expect(theirs[i]).not.toBe(mine[i]);
  });

  it('fold the model name into the first block', () => {
    const text = 'y'.repeat(PROMPT_BLOCK_CHARS * 2);
    expect(completionPromptBlocks('a', text)[0]).not.toBe(completionPromptBlocks('b', text)[0]);
  });

  it('read content parts in order, like a plain string', () => {
    const parts = [
      { role: 'user', content: [{ type: 'text', text: 'a'.repeat(100) }, { type: 'image_url' }, { type: 'text', text: 'b'.repeat(100) }] },
    ];
    const plain = [{ role: 'user', content: `${'a'.repeat(100)}${'b'.repeat(100)}` }];
    expect(chatPromptBlocks('m', parts)).toEqual(chatPromptBlocks('m', plain));
  });

  it('stay bounded: a 10 MB prompt hashes only its first MAX_PROMPT_BLOCKS blocks, in microseconds', () => {
    // Parsed, as a request body's string is: flat (a repeat() rope would be flattened on first read).
    const huge = JSON.parse(`"${'z'.repeat(10 * 1024 * 1024)}"`) as string;
    const t = performance.now();
    const b = chatPromptBlocks('m', [{ role: 'user', content: huge }]);
    // The bound is structural (only the first blocks are hashed); the time only catches a gross regression.
    expect(b).toHaveLength(MAX_PROMPT_BLOCKS);
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('take hostile JSON without throwing', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        expect(Array.isArray(chatPromptBlocks('m', junk))).toBe(true);
        expect(Array.isArray(chatPromptBlocks('m', [junk, { role: 5, content: junk }]))).toBe(true);
        expect(Array.isArray(completionPromptBlocks('m', junk))).toBe(true);
      }),
    );
  });
});
