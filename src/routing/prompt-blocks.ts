/**
 * The gateway's approximate view of a prompt's cacheable prefix: chained hashes over the prompt TEXT in
 * blocks of 64 characters (vLLM's 16-token blocks at about 4 characters a token, the Gateway API Inference
 * Extension's default), the model name folded into the first block. The gateway never tokenizes on the
 * request path, so this only approximates the backend's token blocks; what matters is that equal prefixes
 * give equal leading hashes. Work and memory are bounded: at most MAX_PROMPT_BLOCKS blocks (16 KiB of
 * text) are hashed, a partial last block is ignored, and the text is read in place, never concatenated.
 */
import { randomBytes } from 'node:crypto';
import { fnv1a, mix32 } from '../core/hash.js';

export const PROMPT_BLOCK_CHARS = 64;
/** Prompts sharing their first 16 KiB are indistinguishable; the Inference Extension's default too. */
export const MAX_PROMPT_BLOCKS = 256;

/**
 * Folded into every block key, new in each process. V8 hashes numeric Map and Set keys without a seed of its own,
 * so keys a client could compute from its own prompts could be aimed at one bucket of the index's tables: a
 * chain of tens of thousands of keys, walked by every block of every request. Keys only need to agree within the
 * process that made them (the index is the process's own).
 */
const SEED = randomBytes(8);
const SEED_A = SEED.readUInt32LE(0);
const SEED_B = SEED.readUInt32LE(4);

/** Hashes text fed piece by piece into chained block keys (53-bit numbers). */
export class PromptHasher {
  readonly blocks: number[] = [];
  private a: number;
  private b: number;
  private filled = 0;

  constructor(
    model: string,
    readonly blockChars = PROMPT_BLOCK_CHARS,
    readonly maxBlocks = MAX_PROMPT_BLOCKS,
  ) {
    this.a = mix32(fnv1a(model), SEED_A);
    this.b = mix32(fnv1a(model, 0x9747b28c), SEED_B);
  }

  get full(): boolean {
    return this.blocks.length >= this.maxBlocks;
  }

  add(text: string): void {
    let { a, b, filled } = this;
    for (let i = 0; i < text.length && this.blocks.length < this.maxBlocks; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
      if (++filled === this.blockChars) {
        a = mix32(a, 0x68e31da4);
        b = mix32(b, a);
        this.blocks.push((a >>> 0) * 0x200000 + (b >>> 11));
        filled = 0;
      }
    }
    this.a = a;
    this.b = b;
    this.filled = filled;
  }
}

/**
 * Blocks of a chat request's `messages` (any JSON: what is not a message is skipped): each message as
 * `role \n text \n\n`, text parts of array contents in order. A conversation's next turn extends the text of
 * the previous one, so its leading blocks are the previous turn's.
 */
export function chatPromptBlocks(model: string, messages: unknown, blockChars?: number, maxBlocks?: number): number[] {
  const h = new PromptHasher(model, blockChars, maxBlocks);
  if (!Array.isArray(messages)) return h.blocks;
  for (const m of messages) {
    if (h.full) break;
    if (!m || typeof m !== 'object') continue;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role === 'string') h.add(role);
    h.add('\n');
    if (typeof content === 'string') h.add(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = part && typeof part === 'object' ? (part as { text?: unknown }).text : undefined;
        if (typeof text === 'string') h.add(text);
      }
    }
    h.add('\n\n');
  }
  return h.blocks;
}

/** Blocks of a completion request's `prompt`: a string, or an array of strings read in order. */
export function completionPromptBlocks(model: string, prompt: unknown, blockChars?: number, maxBlocks?: number): number[] {
  const h = new PromptHasher(model, blockChars, maxBlocks);
  if (typeof prompt === 'string') h.add(prompt);
  else if (Array.isArray(prompt)) {
    for (const p of prompt) {
      if (h.full) break;
      h.add(typeof p === 'string' ? p : typeof p === 'number' ? String.fromCharCode(p & 0xffff, p >>> 16) : '');
    }
  }
  return h.blocks;
}
