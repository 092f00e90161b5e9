/**
 * The mocks' deterministic output, exported so a client (the bench, a test) can recompute what it should
 * have received through any gateway and detect truncation or corruption.
 *
 * The function, in full:
 *   key   = the prompt: for chat, each message as `role + "\n" + text` joined with "\n\n" (text = the string
 *           content, or the text parts joined); for completions, the prompt string (arrays: JSON).
 *   state = mix32(fnv1a(key), seed ?? 0)        (both in ../core/hash.ts)
 *   token i (i = 0, 1, … max_tokens-1) = VOCABULARY[rng.next() & 255] with rng = mulberry32(state),
 *           preceded by one space except for the first.
 * Each vocabulary entry is one o200k token (a test checks it); 16 carry multibyte UTF-8 (é, 北, 🙂, …)
 * so that split characters are exercised. The text depends on nothing else: streamed or not, the same.
 */
import { fnv1a, mix32, Rng } from '../core/hash.js';
import { messageText, type ChatMessage } from '../openai/wire.js';

const WORDS = [
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you',
  'were her she there been one all we their has would when if so no out what up into more its can time only other',
  'new some could these two may first then do any like now my such our over man me even most made after also did',
  'many before must through back years where much your way well down should because each just those people how',
  'too little state good very make world still own see men work long get here between both life being under never',
  'day same another know while last might us great old year off come since against go came right used take three',
  'himself few house use during without again place around however home small found thought went say part once',
  'high general upon school every does got united left number course war until always away something fact though',
  'water less public put think almost hand enough far took head yet government system better set told nothing',
  'night end why called didn find going look asked later knew point next program city business give group toward',
  'young days let room president side social given present several order national possible rather second face per',
  'among form important often things looked early white case john become',
]
  .join(' ')
  .split(' ');
const MULTIBYTE = [
  'café',
  'über',
  '北京',
  '中国',
  '日本',
  'résumé',
  'señor',
  'Zürich',
  '世界',
  'привет',
  'мир',
  '東京',
  'déjà',
  'été',
  '🙂',
  'façade',
];

/** 256 entries, indexed by one byte of the PRNG. */
export const VOCABULARY: readonly string[] = Object.freeze([...WORDS.slice(0, 256 - MULTIBYTE.length), ...MULTIBYTE]);

/** Every entry with and without its leading space, as UTF-8 bytes (none needs JSON escaping). */
const WITH_SPACE: readonly Buffer[] = VOCABULARY.map((w) => Buffer.from(` ${w}`));
const BARE: readonly Buffer[] = VOCABULARY.map((w) => Buffer.from(w));

/** Mean UTF-8 bytes of a generated token (its word and the space before it): sizes answers by bytes. */
export const MEAN_TOKEN_BYTES = WITH_SPACE.reduce((sum, b) => sum + b.length, 0) / WITH_SPACE.length;

export function chatPromptKey(messages: readonly ChatMessage[]): string {
  let key = '';
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    key += `${i ? '\n\n' : ''}${m.role}\n${messageText(m)}`;
  }
  return key;
}

export function completionPromptKey(prompt: unknown): string {
  return typeof prompt === 'string' ? prompt : JSON.stringify(prompt);
}

export function textSeed(promptKey: string, seed: number | null | undefined): number {
  return mix32(fnv1a(promptKey), seed ?? 0);
}

/** Produces the tokens of one answer in order; `bytes(i)` is token i as it appears in the text. */
export class TokenSource {
  private readonly rng: Rng;
  private index = 0;
  constructor(state: number) {
    this.rng = new Rng(state);
  }
  /** The next token's bytes (with its leading space unless it is the first). */
  next(): Buffer {
    const first = this.index === 0;
    const w = this.nextWord();
    return first ? BARE[w]! : WITH_SPACE[w]!;
  }
  /** The next token as its index in VOCABULARY (the prefix cache needs ids, not bytes). */
  nextWord(): number {
    this.index++;
    return this.rng.next() & 255;
  }
  get produced(): number {
    return this.index;
  }
}

/** The whole text of an answer — for tests and small outputs; large ones should use TokenSource. */
export function generateText(promptKey: string, seed: number | null | undefined, tokens: number): string {
  const src = new TokenSource(textSeed(promptKey, seed));
  const parts: Buffer[] = [];
  for (let i = 0; i < tokens; i++) parts.push(src.next());
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The most tokens one answer may have (the gateway's own cap on max_tokens). The contract asks for at least
 * 10,000,000; past this an answer is refused rather than generated for minutes.
 */
export const MAX_ANSWER_TOKENS = 100_000_000;

/** The byte length of the text, computed without building it. */
export function generatedByteLength(promptKey: string, seed: number | null | undefined, tokens: number): number {
  const src = new TokenSource(textSeed(promptKey, seed));
  let n = 0;
  for (let i = 0; i < tokens; i++) n += src.next().length;
  return n;
}
