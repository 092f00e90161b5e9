/**
 * The TEI mock: OpenAI's `/v1/embeddings` (float and base64) and TEI's own `/embed` and `/info`.
 * Vectors are a deterministic function of the input text and the width: unit-length, seeded by the text.
 */
import type { ServerResponse } from 'node:http';
import { fnv1a, Rng } from '../core/hash.js';
import { MOCK_BUDGET, type TokenCounter } from '../openai/tokens.js';
import { describeIssue, EmbeddingRequest } from '../openai/wire.js';
import type { MockContext } from './context.js';
import { sendJson } from './http.js';
import { prefixWithin } from './token-prefix.js';

/** TEI's default `max_client_batch_size`. */
export const MAX_BATCH = 32;

/** TEI's `max_input_length` as /info reports it (a BERT-sized embedder's 512 tokens). */
export const MAX_INPUT_TOKENS = 512;

/**
 * A token can be longer than this many characters only in runs the counter cuts anyway (openai/tokens.ts MAX_RUN):
 * the prefix of MAX_INPUT_TOKENS tokens lies within this many times as many characters.
 */
const MAX_TOKEN_CHARS = 64;

/**
 * TEI's words for an empty input (core/src/tokenization.rs checks each input before tokenizing it), refused 413 as every
 * validation error: an empty string (or no token ids) was embedded — as OpenAI's API refuses one too.
 */
const EMPTY_INPUT = 'Input validation error: `inputs` cannot be empty';

/** Whether an input is empty: no text, or no token ids. */
const emptyInput = (item: string | readonly number[]): boolean => item.length === 0;

/** TEI's words for an input over max_input_length (core/src/tokenization.rs), refused 413 as every validation error. */
const tooLong = (max: number, given: number) => `Input validation error: \`inputs\` must have less than ${max} tokens. Given: ${given}`;

/**
 * A request's token count: exact within one budget of characters for the whole request (MOCK_BUDGET), the rest at 4
 * characters a token — each input, or each prefix a truncation tries, with a budget of its own made 32 inputs of
 * 256 KiB 8 MiB of exact tokenization, seconds of the loop.
 */
function budgetedCount(tokens: TokenCounter): (text: string) => number {
  let left = MOCK_BUDGET.maxChars;
  return (text) => {
    const exact = Math.min(text.length, left);
    left -= exact;
    return (exact > 0 ? tokens.text(text.slice(0, exact)) : 0) + Math.ceil((text.length - exact) / 4);
  };
}

/** Whether a text may hold more than `max` tokens: one of at most `max / 3` characters cannot (a UTF-16 unit is at most 3 bytes of UTF-8, a token at least one byte), and is not counted. */
const mayExceed = (text: string, max: number) => text.length * 3 > max;

/** The first input over `max` tokens and its count; token ids count as themselves. */
function overLong(
  items: readonly (string | readonly number[])[],
  max: number,
  count: (text: string) => number,
): { index: number; given: number } | undefined {
  for (let index = 0; index < items.length; index++) {
    const item = items[index]!;
    const given = typeof item !== 'string' ? item.length : mayExceed(item, max) ? count(item) : 0;
    if (given > max) return { index, given };
  }
  return undefined;
}

/**
 * The first `max` tokens of `text`, as TEI's `truncate: true` keeps them: a search over a window doubled from `max` × 4
 * characters (the counter's estimate) until it holds more than `max` tokens, so an ordinary text costs a few counts of
 * a few KiB; never past `max` × MAX_TOKEN_CHARS characters.
 */
function truncated(text: string, max: number, count: (text: string) => number): string {
  const limit = max * MAX_TOKEN_CHARS;
  // Longer than `limit`, it holds more than `max` tokens: not counted whole (the budget is the batch's).
  if (!mayExceed(text, max) || (text.length <= limit && count(text) <= max)) return text;
  let window = max * 4;
  while (window < limit && window < text.length && count(text.slice(0, window)) <= max) window *= 2;
  return prefixWithin(text, max, count, Math.min(window, limit));
}

/** A request's inputs as given (an array of token ids is one), before any is turned into a string. */
function itemsOf(input: EmbeddingRequest['input']): readonly (string | readonly number[])[] {
  if (typeof input === 'string') return [input];
  if (input.length === 0) return [];
  if (typeof input[0] === 'number') return [input as readonly number[]];
  return input as readonly (string | readonly number[])[];
}

/** The embedding of one input: `dims` floats from a PRNG seeded by the text, scaled to unit length. */
export function embedText(text: string, dims: number): Float32Array {
  const rng = new Rng(fnv1a(text, dims));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = rng.float() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) v[i]! *= scale;
  return v;
}

/**
 * The embedding shortened to `dims` (the request's `dimensions`), as OpenAI shortens one: its leading values, scaled
 * back to unit length. Cut alone, it was shorter than 1 (about √(8/1024) ≈ 0.09 for 8 of 1,024), so a dot product —
 * what a client of unit vectors takes for the cosine — no longer was one.
 */
function shortened(text: string, full: number, dims: number): Float32Array {
  const v = embedText(text, full);
  if (dims >= full) return v;
  const out = v.subarray(0, dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += out[i]! * out[i]!;
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) out[i]! *= scale;
  return out;
}

/** How many inputs a request's `input` holds (an array of token ids is one), known before any of them is looked at. */
function inputCount(input: EmbeddingRequest['input']): number {
  if (typeof input === 'string') return 1;
  return input.length === 0 ? 0 : typeof input[0] === 'number' ? 1 : input.length;
}

function inputsOf(input: EmbeddingRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  if (input.length === 0) return [];
  if (typeof input[0] === 'number') return [JSON.stringify(input)];
  return (input as (string | number[])[]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}

function floatsJson(v: Float32Array): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + v[i]!;
  return `${out}]`;
}

/** A refusal in a dialect: the status it is sent with and its body, for TEI's status, message and field. */
export type EmbeddingRefusal = (status: number, message: string, param: string | null) => [number, string];

/** TEI's OpenAI-compatible error shape (every refusal of its embeddings route is a validation error). */
const teiOpenAIError: EmbeddingRefusal = (status, message) => [status, JSON.stringify({ message, code: status, type: 'Validation' })];

export function handleEmbeddings(
  res: ServerResponse,
  json: unknown,
  ctx: MockContext,
  tokens: TokenCounter,
  /** The dialect's refusals (the Azure mock's are Azure's). */
  refusal: EmbeddingRefusal = teiOpenAIError,
  /** The longest input taken, in tokens (TEI's max_input_length; OpenAI's embedders take 8,192). */
  maxInputTokens = MAX_INPUT_TOKENS,
): void {
  const refuse = (status: number, message: string, param: string | null = null) =>
    sendJson(res, ...refusal(status, message, param), ctx.identity);
  const parsed = EmbeddingRequest.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    return refuse(422, message, param);
  }
  const body = parsed.data;
  if (!ctx.serves(body.model)) return refuse(400, `model \`${body.model.slice(0, 200)}\` is not served here`, 'model');
  // Counted before the inputs are turned into strings: 3M token-id arrays were 3M strings (1.3 s, and their memory)
  // made only to be refused.
  const count = inputCount(body.input);
  if (count === 0) return refuse(422, 'Input validation error: `inputs` cannot be empty', 'input');
  if (count > MAX_BATCH) return refuse(413, `batch size ${count} > maximum allowed batch size ${MAX_BATCH}`, 'input');
  if (itemsOf(body.input).some(emptyInput)) return refuse(413, EMPTY_INPUT, 'input');
  const inputs = inputsOf(body.input);
  // Refused as OpenAI refuses it (a model's vectors cannot be widened): it was answered at the full width, silently.
  if (body.dimensions != null && body.dimensions > ctx.config.dimensions) {
    return refuse(400, `dimensions must be at most ${ctx.config.dimensions} for this model, got ${body.dimensions}`, 'dimensions');
  }
  // TEI refuses an input over max_input_length (the OpenAI route truncates only when the server runs --auto-truncate).
  const over = overLong(itemsOf(body.input), maxInputTokens, budgetedCount(tokens));
  if (over) return refuse(413, tooLong(maxInputTokens, over.given), 'input');
  const dims = body.dimensions ?? ctx.config.dimensions;
  // The batch is one prompt to the counter, within one budget (MOCK_BUDGET: 256 KiB exactly, the rest estimated) —
  // counted input by input, each had a budget of its own: 32 inputs of 256 KiB were 8 MiB tokenized exactly, seconds
  // of the loop (the gateway's too under serve --mocks) for one request. Token ids count as the tokens they are, as
  // TEI and vLLM count them, not as the tokens of their JSON text.
  const promptTokens = tokens.prompt(body.input);
  const data = inputs.map((text, index) => {
    const v = shortened(text, ctx.config.dimensions, dims);
    const embedding =
      body.encoding_format === 'base64'
        ? JSON.stringify(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'))
        : floatsJson(v);
    return `{"object":"embedding","embedding":${embedding},"index":${index}}`;
  });
  ctx.stats.promptTokens += promptTokens;
  const usage = `{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens}}`;
  const out = `{"object":"list","data":[${data.join(',')}],"model":${JSON.stringify(body.model)},"usage":${usage}}`;
  ctx.stats.bytesSent += Buffer.byteLength(out);
  ctx.stats.completed++;
  sendJson(res, 200, out, ctx.identity);
}

/**
 * TEI's own route: `{"inputs": "…" | ["…"], "truncate"?: bool}` → `[[…], …]`. An input over max_input_length is refused
 * 413, or with `truncate: true` its first MAX_INPUT_TOKENS tokens are embedded, as TEI does.
 */
export function handleEmbed(res: ServerResponse, json: unknown, ctx: MockContext): void {
  const inputs = (json as { inputs?: unknown } | null)?.inputs;
  const truncate = (json as { truncate?: unknown } | null)?.truncate === true;
  const list =
    typeof inputs === 'string' ? [inputs] : Array.isArray(inputs) && inputs.every((x) => typeof x === 'string') ? inputs : undefined;
  if (!list || list.length === 0) {
    return sendJson(
      res,
      422,
      JSON.stringify({ error: 'Input validation error: `inputs` must be a string or a list of strings', error_type: 'Validation' }),
      ctx.identity,
    );
  }
  if (list.length > MAX_BATCH) {
    return sendJson(
      res,
      413,
      JSON.stringify({ error: `batch size ${list.length} > maximum allowed batch size ${MAX_BATCH}`, error_type: 'Validation' }),
      ctx.identity,
    );
  }
  if (list.some(emptyInput)) {
    return sendJson(res, 413, JSON.stringify({ error: EMPTY_INPUT, error_type: 'Validation' }), ctx.identity);
  }
  const count = budgetedCount(ctx.tokens);
  if (!truncate) {
    const over = overLong(list, MAX_INPUT_TOKENS, count);
    if (over) {
      const error = JSON.stringify({ error: tooLong(MAX_INPUT_TOKENS, over.given), error_type: 'Validation' });
      return sendJson(res, 413, error, ctx.identity);
    }
  }
  const within = (t: string) => (truncate ? truncated(t, MAX_INPUT_TOKENS, count) : t);
  const out = `[${list.map((t) => floatsJson(embedText(within(t), ctx.config.dimensions))).join(',')}]`;
  ctx.stats.bytesSent += Buffer.byteLength(out);
  ctx.stats.completed++;
  sendJson(res, 200, out, ctx.identity);
}

export function teiInfo(ctx: MockContext): string {
  return JSON.stringify({
    model_id: ctx.servedModels()[0],
    model_sha: null,
    model_dtype: 'float16',
    model_type: { embedding: { pooling: 'cls' } },
    max_concurrent_requests: 512,
    max_input_length: MAX_INPUT_TOKENS,
    max_batch_tokens: 16384,
    max_batch_requests: null,
    max_client_batch_size: MAX_BATCH,
    tokenization_workers: 2,
    version: '1.5.0-aigw-mock',
    dimensions: ctx.config.dimensions,
  });
}
