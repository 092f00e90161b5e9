/**
 * The token stream the vLLM mock's prefix cache hashes: a chat rendered as a chat template would render it
 * (`<start>role<sep>content<end>` per message, then `<start>assistant<sep>` to prime the answer), its length
 * exactly the `prompt_tokens` the mock reports. Messages are tokenized one by one and remembered, so a
 * multi-turn conversation pays the tokenizer only for its new turn, and appending a turn never changes
 * the tokens before it — which is what makes a prefix cacheable.
 */
import { MOCK_BUDGET, type TokenCounter } from '../openai/tokens.js';
import { type ChatMessage, promptText } from '../openai/wire.js';
import { TokenSource, VOCABULARY } from './text.js';

/** Chat-template markers, above o200k's ids (and above the tokenizer's stand-in ids). */
const START = 0xffff_ff00;
const SEP = 0xffff_ff01;
const END = 0xffff_ff02;
const NAME = 0xffff_ff03;

/** A prompt as consecutive pieces of token ids (never concatenated: the hasher reads them in order). */
export interface PromptStream {
  readonly pieces: readonly ArrayLike<number>[];
  /** The sum of the pieces' lengths: the prompt's token count. */
  readonly tokens: number;
}

export type CompletionPrompt = string | readonly string[] | readonly number[] | readonly (readonly number[])[];

/** Texts larger than this share of the budget are tokenized every time rather than remembered. */
const LARGEST_SHARE = 4;

/** A remembered text's ids, and the eviction walk it was last moved behind the others in. */
interface Remembered {
  readonly ids: Uint32Array;
  walk: number;
}

export class PromptTokens {
  private readonly remembered = new Map<string, Remembered>();
  private held = 0;
  /** Eviction walks so far. */
  private walks = 0;
  private bare: Uint32Array[] | undefined;
  private spaced: number[] | undefined;

  /**
   * `budget`: token ids remembered across requests (about 12 bytes each with their text). `exactChars`: characters of
   * one prompt tokenized exactly, as the counter's own budget (MOCK_BUDGET) counts one prompt.
   */
  constructor(
    private readonly counter: TokenCounter,
    private readonly budget = 1_000_000,
    private readonly exactChars = MOCK_BUDGET.maxChars,
  ) {}

  /**
   * The ids of one text, remembered within the budget; a text used since the last eviction walk is kept over one that
   * was not. V8's Map keeps a deleted entry in its bucket's chain until the table rehashes, so deleting and re-adding a
   * key on every use (a strict LRU's refresh) lengthened that key's chain by one each time: every message's role is a
   * hit, and 23,000 `user` messages made each lookup of `user` walk thousands of dead entries — seconds a request,
   * growing from one request to the next. A text moves behind the others at most once per walk now.
   */
  ids(text: string): Uint32Array {
    const hit = this.remembered.get(text);
    if (hit) {
      if (hit.walk !== this.walks) {
        this.remembered.delete(text);
        this.remembered.set(text, hit);
        hit.walk = this.walks;
      }
      return hit.ids;
    }
    const ids = this.counter.ids(text);
    if (ids.length * LARGEST_SHARE > this.budget) return ids;
    this.remembered.set(text, { ids, walk: this.walks });
    this.held += ids.length + 1;
    if (this.held > this.budget) this.evict();
    return ids;
  }

  /**
   * Forgets the texts at the front (used least recently, as far as the walks tell) down to three quarters of the
   * budget, in one walk. A walk from the Map's front steps over the hole of every entry deleted since it last
   * rehashed: one walk per new text (an eviction each) stepped over up to the map's size each time — a prompt of
   * 23,000 short new messages, once the budget was full, spent seconds of the mock's loop on it. A walk per quarter
   * of the budget steps over each hole about once.
   */
  private evict(): void {
    this.walks++;
    const target = this.budget * 0.75;
    for (const [k, v] of this.remembered) {
      if (this.held <= target) break;
      this.remembered.delete(k);
      this.held -= v.ids.length + 1;
    }
  }

  chat(messages: readonly ChatMessage[]): PromptStream {
    const pieces: ArrayLike<number>[] = [];
    let tokens = 0;
    const add = (p: ArrayLike<number>) => {
      pieces.push(p);
      tokens += p.length;
    };
    // One budget for the whole conversation, spent as the counter's `chat` spends it (role, text, then name): each
    // text counted with a budget of its own, a conversation of 32 messages of 256 KiB was 8 MiB tokenized exactly (up
    // to the 64 MiB body bound), seconds of the mock's loop — the gateway's too under serve --mocks. Past it, the
    // rest is stand-in ids, as many as `chat` estimates, so the stream stays as long as the count the mock reports
    // without a cache; a message's ids still depend only on the messages before it (appending a turn changes none).
    let left = this.exactChars;
    let over = false;
    const idsOf = (text: string): ArrayLike<number> => {
      if (!over && text.length <= left) {
        left -= text.length;
        return this.ids(text);
      }
      over = true;
      return this.counter.idsPastBudget(text, left);
    };
    for (const m of messages) {
      const role = idsOf(m.role);
      const text = idsOf(promptText(m));
      // An empty name is a name: the counter's chat counts its marker (OpenAI's tokens_per_name), and so must the stream.
      const name = m.name !== undefined ? idsOf(m.name) : undefined;
      add([START]);
      add(role);
      if (name !== undefined) {
        add([NAME]);
        add(name);
      }
      add([SEP]);
      add(text);
      add([END]);
    }
    add([START]);
    add(this.ids('assistant'));
    add([SEP]);
    return { pieces, tokens };
  }

  completion(prompt: CompletionPrompt): PromptStream {
    if (typeof prompt === 'string') {
      const ids = this.ids(prompt);
      return { pieces: [ids], tokens: ids.length };
    }
    // Token ids given directly are their own stream.
    if (typeof prompt[0] === 'number') return { pieces: [prompt as readonly number[]], tokens: prompt.length };
    const pieces: ArrayLike<number>[] = [];
    let tokens = 0;
    for (const p of prompt as readonly (string | readonly number[])[]) {
      const piece = typeof p === 'string' ? this.ids(p) : p;
      pieces.push(piece);
      tokens += piece.length;
    }
    return { pieces, tokens };
  }

  /**
   * The ids of the first `count` tokens of a generated answer, as the tokenizer reads that text back when
   * a client sends it in the next turn: the first word bare, every later one with its leading space.
   */
  answer(textState: number, count: number): ArrayLike<number>[] {
    this.bare ??= VOCABULARY.map((w) => this.counter.ids(w));
    this.spaced ??= VOCABULARY.map((w) => this.counter.ids(` ${w}`)[0]!);
    if (count <= 0) return [];
    const src = new TokenSource(textState);
    const rest = new Uint32Array(count - 1);
    const first = this.bare[src.nextWord()]!;
    for (let i = 0; i < rest.length; i++) rest[i] = this.spaced[src.nextWord()]!;
    return [first, rest];
  }
}
