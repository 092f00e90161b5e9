/**
 * The admit and settle stages for one request: what it reserves against its tenant's limits before it is
 * routed, and, once its answer is over, what it really cost. Not answered (a failed upstream, a refusal) →
 * nothing is charged; the client left after its request was sent, before any answer → what it reserved.
 * Answered → the backend's usage; without usage, the prompt is counted exactly off the event loop and the
 * output by streamed chunks; a client that left mid-stream pays for what was streamed.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { AigwError } from '../core/errors.js';
import { nextId } from '../core/ids.js';
import { costMicroUsd, type Prices } from '../events/cost.js';
import type { RequestRecord } from '../events/request-record.js';
import type { ProxyRequest } from '../openai/parse-request.js';
import { countTokensTurns } from '../translate/count-tokens.js';
import { estimateTokens, promptEstimate } from './estimate.js';
import { inlineMediaExcess, LEFT_PART_TOKENS, promptParts, promptTokensBound, textTokensBound } from './prompt-bound.js';
import type { Tenant } from './keys.js';
import type { Admission, Limiter } from './limiter.js';
import type { MaybePromise } from '../core/maybe-promise.js';
import type { LimitStore, Reservation } from './limits/store.js';
import { utf8Text } from '../core/utf8-text.js';
import { timerDelay } from '../core/timer-delay.js';

/** A prompt's token count, and whether all of it was counted exactly (false: part was over the budget). */
export interface PromptCount {
  tokens: number;
  exact: boolean;
  /** The parts of a chat's messages that hold no text to count: images, audio, files, video (absent: none). */
  untexted?: number;
}

/**
 * A prompt still in a JSON body's bytes: `field` of the object they hold (none: the whole object, a chat request's
 * messages and tool definitions, a completion request's prompt and suffix), parsed by the counter, off the event loop.
 */
export interface PromptInBody {
  fromBody: Uint8Array;
  field: string | undefined;
}

/**
 * Exact counts off the event loop (the tokenizer worker): a chat's or a prompt's input (its value, or a
 * PromptInBody), or a completion body's output (its JSON text); undefined when not counted at all.
 */
export interface PromptCounter {
  /** `key`: whose count it is (a tenant): counts of one key wait behind each other's, not behind another key's. */
  count(kind: 'chat' | 'prompt' | 'completion', payload: unknown, key?: string): Promise<PromptCount | undefined>;
}

export interface AdmissionPolicy {
  defaultCompletionTokens: number;
  /** Concurrency leases held in a shared store are renewed this often while the request lives. */
  leaseRenewMs: number | undefined;
}

export interface Admitted {
  /**
   * Headers every response to this request carries (OpenAI's x-ratelimit-*); taken by the gateway (which then
   * sets this to undefined), so a settle stage does not hold them for as long as the answer lasts.
   */
  headers: Record<string, string> | undefined;
  /**
   * Runs once the answer is over: completes the token counts, then charges them. Returns a promise only when
   * something has to be waited for (a count off the event loop, a shared store).
   */
  settle(record: RequestRecord): MaybePromise<void>;
  /** The tokens its tenant's limits reserved for it until it settles (0 when none were). */
  readonly reservedTokens: number;
  /** The spend (USD) its tenant's budget reserved for it until it settles: its most expensive outcome (0 when none). */
  readonly reservedUsd: number;
}

/** A request with no tenant limits: nothing to reserve, but its tokens are still counted for metrics. */
export function unlimited(p: ProxyRequest, counter: PromptCounter): Admitted {
  return new Unlimited(p, counter);
}

// The settle stages are objects with their methods on a prototype, not closures: one allocation per request
// where closures made four (and a context), on every request of the hot path.
class Unlimited implements Admitted {
  headers = undefined;
  readonly reservedTokens = 0;
  readonly reservedUsd = 0;
  constructor(
    private readonly p: ProxyRequest,
    private readonly counter: PromptCounter,
  ) {}

  settle(record: RequestRecord): MaybePromise<void> {
    return completeTokenCounts(record, this.p, this.counter);
  }
}

/**
 * `prices`: every price the request could end up paying — each priced target its model, fallbacks and
 * escalations can reach — so a budget reserves its most expensive outcome; `translatedMaxTokens`, likewise, the
 * route's (ModelRoute). Synchronous with the memory store.
 */
export function admit(
  limiter: Limiter,
  tenant: Tenant,
  p: ProxyRequest,
  policy: AdmissionPolicy,
  counter: PromptCounter,
  requestId: string,
  prices: readonly Prices[] = [],
  translatedMaxTokens?: number,
): MaybePromise<Admitted | AigwError> {
  // An OpenAI request that names no max_tokens gets translatedMaxTokens at an Anthropic target: it may produce that many.
  const defaultCompletion =
    translatedMaxTokens !== undefined && p.api === 'openai'
      ? Math.max(policy.defaultCompletionTokens, translatedMaxTokens)
      : policy.defaultCompletionTokens;
  const estimate = estimateTokens(p.bytes, p.maxTokens, p.choices, defaultCompletion, p.endpoint);
  // An inline picture's base64 is bytes, not tokens: reserved as what it can cost (prompt-bound.ts).
  const excess = p.endpoint === 'chat' || p.endpoint === 'messages' ? inlineMediaExcess(p.json, p.bytes) : 0;
  if (excess > 0) {
    estimate.prompt -= excess;
    estimate.total -= excess;
  }
  const bound = costBound(prices, estimate.prompt, estimate.total - estimate.prompt);
  // The lease is the gateway's own, unique per admission: a client-chosen id (x-request-id) would let
  // parallel requests share one concurrency slot.
  const admission = limiter.admit(tenant, p.model, estimate.total, nextId('lease'), requestId, bound);
  if (admission instanceof Promise) return admission.then((a) => admitted(a, p, policy, counter, estimate.prompt, prices));
  return admitted(admission, p, policy, counter, estimate.prompt, prices);
}

function admitted(
  admission: Admission | AigwError,
  p: ProxyRequest,
  policy: AdmissionPolicy,
  counter: PromptCounter,
  promptEstimate: number,
  prices: readonly Prices[],
): Admitted | AigwError {
  if ('code' in admission) return admission;
  return new TenantSettlement(admission, p, policy, counter, promptEstimate, prices);
}

class TenantSettlement implements Admitted {
  headers: Record<string, string> | undefined;
  private readonly reservation: Reservation | undefined;
  private readonly store: LimitStore;
  private readonly renew: NodeJS.Timeout | undefined;

  constructor(
    admission: Admission,
    private readonly p: ProxyRequest,
    policy: AdmissionPolicy,
    private readonly counter: PromptCounter,
    private readonly promptEstimate: number,
    /** Every price the request could pay (admit's `prices`): read only by the rare charge of unread parts. */
    private readonly prices: readonly Prices[],
  ) {
    const { reservation, store } = admission;
    this.headers = admission.headers;
    this.reservation = reservation;
    this.store = store;
    this.renew =
      reservation && policy.leaseRenewMs !== undefined && holdsLease(reservation)
        ? startRenewal(reservation, store, policy.leaseRenewMs)
        : undefined;
  }

  get reservedTokens(): number {
    return this.reservation?.tokens ?? 0;
  }

  get reservedUsd(): number {
    return (this.reservation?.microUsd ?? 0) / 1e6;
  }

  settle(record: RequestRecord): MaybePromise<void> {
    if (this.renew) clearInterval(this.renew);
    // The answer is over: its concurrency slot frees now, even when its prompt still has to be counted
    // (a late count only adjusts the tokens charged).
    const reservation = this.reservation;
    if (reservation && needsCount(record) && holdsLease(reservation)) {
      const released = this.store.release(reservation);
      if (released instanceof Promise) return released.catch(() => {}).then(() => this.countThenCharge(record));
    }
    return this.countThenCharge(record);
  }

  private countThenCharge(record: RequestRecord): MaybePromise<void> {
    const counted = completeTokenCounts(record, this.p, this.counter);
    return counted instanceof Promise ? counted.then(() => this.charge(record)) : this.charge(record);
  }

  private charge(record: RequestRecord): MaybePromise<void> {
    const reservation = this.reservation;
    if (!reservation) return;
    const { promptEstimate } = this;
    const tokens = actualCost(record, promptEstimate);
    const microUsd = actualMicroUsd(record, promptEstimate);
    // Work no usage measures (left before any answer, timed out once sent, refused as too large): at least what it
    // reserved. Charged nothing, a client that dropped each request just before its answer had the backend generate
    // without limit (25 requests of 900 tokens in 20 s on a 1,000 tpm tenant), and so did one whose every answer
    // outgrew the buffer or outlasted timeouts.firstByte.
    // What it reserved holds no part of its messages the tokenizer cannot read (an image by URL is a few bytes): with no
    // answer to count from, each is charged as a client that left a stream before its usage is (chargeUntexted) — at
    // its reservation alone, a client leaving each request of many images before its answer had them prefilled free.
    // (Counting tokens prefills nothing: count_tokens costs a request alone, estimate.ts.)
    const untexted =
      record.workedUnmetered && !record.answered && this.p.endpoint !== 'count_tokens'
        ? Math.min(MAX_COUNT, LEFT_PART_TOKENS * untextedParts(this.p.json.messages))
        : 0;
    let settled: MaybePromise<void>;
    if (record.workedUnmetered) {
      const chargedTokens = Math.max(tokens, reservation.tokens + untexted);
      const chargedMicroUsd = Math.max(microUsd, reservation.microUsd + (untexted && untexted * dearestPromptPrice(this.prices)));
      if (chargedTokens > tokens || chargedMicroUsd > microUsd)
        record.unmeteredCharge = { tokens: chargedTokens - tokens, costUsd: (chargedMicroUsd - microUsd) / 1e6 };
      settled = this.store.settle(reservation, chargedTokens, chargedMicroUsd);
    } else settled = this.store.settle(reservation, tokens, microUsd);
    if (settled instanceof Promise) return settled.catch(() => {});
  }
}

function holdsLease(r: Reservation): boolean {
  return r.specs.some((s) => s.concurrency !== undefined);
}

function startRenewal(r: Reservation, store: LimitStore, everyMs: number): NodeJS.Timeout {
  // Held to Node's timer bound (core/timer-delay.ts): past it, the lease was renewed in Redis every millisecond.
  return setInterval(() => void store.renew(r).catch(() => {}), timerDelay(everyMs));
}

/** Fills in the input tokens when the backend reported none (worker thread; never the event loop). */
function needsCount(record: RequestRecord): boolean {
  return record.answered && (record.inputSource === 'none' || (record.outputSource === 'none' && record.unmetered !== undefined));
}

/** Largest decoded body counted from a compressed answer (a compression bomb is estimated, not inflated). */
const MAX_DECODED_BYTES = 4 * 1024 * 1024;

/** Counts (or, past the bounds, estimates) the output of an answer that carried no usage. Never charges 0. */
/**
 * A count, or undefined when there is none — the thread's queue full, the wait past its bound, or the count failed
 * (a tokenizer thread that could not start): each is charged as not counted. A failure let through, the settle stage
 * rejected before its charge, and the request's reservation stood for its window in place of what it used.
 */
function countOrNone(counter: PromptCounter, ...args: Parameters<PromptCounter['count']>): Promise<PromptCount | undefined> {
  return counter.count(...args).catch(() => undefined);
}

async function countOutput(record: RequestRecord, p: ProxyRequest, counter: PromptCounter): Promise<void> {
  const body = record.unmetered;
  record.unmetered = undefined;
  if (!body || p.endpoint === 'embeddings' || record.outputSource !== 'none') return;
  const estimate = () => {
    record.outputTokens = Math.min(Math.max(1, Math.ceil(body.size / 4)), outputBound(p, record));
    record.outputSource = 'estimate';
    record.countNote = 'answer without usage, too large to count: estimated from its size';
  };
  if (!body.whole) return estimate();
  const text = await decoded(body.bytes, body.encoding);
  if (text === undefined) return estimate();
  // An echo's text begins with the prompt: the thread reads the request to leave that out (counted as the input).
  const n = await countOrNone(counter, 'completion', p.echoesPrompt ? { answer: text, request: promptPayload(p) } : text, record.tenant);
  if (!n) return estimate();
  // Counted or estimated, never more than the request could generate (a cut body's text is not all output).
  record.outputTokens = Math.min(n.tokens, outputBound(p, record));
  record.outputSource = n.exact ? 'tokenizer' : 'estimate';
}

/** A Map, not an object: the backend names the coding, and `constructor` or `__proto__` must find nothing. */
const CODECS: ReadonlyMap<string, (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>> = new Map([
  ['gzip', promisify(zlib.gunzip)],
  ['x-gzip', promisify(zlib.gunzip)],
  ['deflate', promisify(zlib.inflate)],
  ['br', promisify(zlib.brotliDecompress)],
]);

/** A body's text, decoded off the event loop (zlib runs in the thread pool) and bounded; undefined if not. */
async function decoded(bytes: Buffer, encoding: string | undefined): Promise<string | undefined> {
  if (encoding === undefined) return utf8Text(bytes).text;
  const codec = CODECS.get(encoding);
  if (!codec) return undefined;
  return codec(bytes, { maxOutputLength: MAX_DECODED_BYTES }).then(
    (out) => utf8Text(out).text,
    () => undefined,
  );
}

/** More tokens than any model's context holds (2^24): a count past it is a backend's error, not usage. */
const MAX_COUNT = 2 ** 24;

/**
 * The most output a request can generate: for each choice, its max_tokens and the context window its target
 * declares (what `cost` routes by), whichever is less; neither, more than any model's context. Without max_tokens
 * a backend claiming 10^15 completion tokens was held to 2^24 alone: 14 hours of debt at 20,000 tpm.
 */
function outputBound(p: ProxyRequest, record: RequestRecord): number {
  // An embedding generates nothing (estimate.ts reserves no output): bounded by 2^24 alone, an embeddings answer whose
  // usage claimed 16,000,000 completion tokens was charged them.
  if (p.endpoint === 'embeddings') return 0;
  // The length every backend holds to (lengthBound): max_completion_tokens alone bounds nothing on a backend that reads
  // max_tokens alone, which generates to its context. A translation's own max_tokens bounds its target (outputLimit):
  // an OpenAI request that named none was sent to an Anthropic backend with 4,096, and its claim of 16,000,000 was charged.
  const { outputLimit, contextWindow } = record;
  const lengthBound = scoredAsReported(p, record) ? undefined : p.lengthBound;
  if (lengthBound === undefined && outputLimit === undefined && contextWindow === undefined) return MAX_COUNT;
  return Math.min(lengthBound ?? Infinity, outputLimit ?? Infinity, contextWindow ?? Infinity) * p.choices;
}

/**
 * A prompt scored (echo with max_tokens 0, bounded as 1: parse-request.ts) whose backend reported what it generated. The
 * 1 is OpenAI's and vLLM's, not every backend's: one that reads a 0 as no limit generated 500 tokens, charged as one.
 * Its own count is charged then; an estimate (which holds the echoed prompt) stays held to the 1.
 */
function scoredAsReported(p: ProxyRequest, record: RequestRecord): boolean {
  return p.scoresPrompt && record.outputSource === 'usage';
}

/** Synchronous when the backend reported what was used (the usual case): nothing to count. */
function completeTokenCounts(record: RequestRecord, p: ProxyRequest, counter: PromptCounter): MaybePromise<void> {
  if (!record.answered) return;
  // Counting tokens generates none and costs a request alone (estimate.ts): a usage that a backend's count_tokens
  // answer carries is no generation's. Kept, a backend's usage of 10^15 tokens there was charged whole (the bounds
  // below are a generation's), its cost with it: one request locked its tenant out of its tpm and budget for good.
  if (p.endpoint === 'count_tokens') return noTokens(record);
  // Neither an estimate of the output (events relayed, bytes) nor a backend's own count exceeds what the request
  // could generate: a backend that claimed 10^15 completion tokens for max_tokens 5 locked its tenant out for
  // millennia (debt drains at one limit per window), and put the figure in every metric. max_tokens bounds the
  // reasoning tokens too (OpenAI's max_completion_tokens, Anthropic's max_tokens, vLLM).
  record.outputTokens = Math.min(record.outputTokens, outputBound(p, record));
  // Nor does a prompt count exceed what the request could hold (prompt-bound.ts): one comparison, usually.
  if (record.inputTokens > textTokensBound(p)) {
    const bound = Math.min(MAX_COUNT, promptTokensBound(p));
    if (record.inputTokens > bound) {
      record.inputTokens = bound;
      if (record.cachedInputTokens !== undefined) record.cachedInputTokens = Math.min(record.cachedInputTokens, bound);
      if (record.cacheWriteInputTokens !== undefined) record.cacheWriteInputTokens = Math.min(record.cacheWriteInputTokens, bound);
      record.countNote = "the backend's prompt count exceeds what the request could hold: capped";
    }
  }
  if (record.unmetered === undefined && record.inputSource !== 'none') return;
  return countTokens(record, p, counter);
}

/** A request that generates nothing is charged no tokens, whatever its answer said. */
function noTokens(record: RequestRecord): void {
  record.inputTokens = record.outputTokens = 0;
  record.inputSource = record.outputSource = 'none';
  record.cachedInputTokens = record.cacheWriteInputTokens = undefined;
  record.unmetered = undefined;
}

async function countTokens(record: RequestRecord, p: ProxyRequest, counter: PromptCounter): Promise<void> {
  await countOutput(record, p, counter);
  if (record.inputSource !== 'none') return;
  const payload = promptPayload(p);
  if (payload === UNCOUNTABLE) {
    record.inputTokens = promptEstimate(p.bytes);
    record.inputSource = 'estimate';
    record.countNote = 'prompt of parts the tokenizer cannot read: estimated from its size';
    return;
  }
  const n = await countOrNone(counter, p.endpoint === 'chat' || p.api === 'anthropic' ? 'chat' : 'prompt', payload, record.tenant);
  if (n === undefined) {
    // Not counted (the tokenizer thread's queue full, or the count waited past its bound): charged its estimate, as
    // admission reserved it — and said so on the record, which the request event, its costUsd and the metrics read.
    // Left uncounted there, the tenant was charged the estimate while aigw_cost_usd_total, /aigw/stats and the event
    // counted no input at all: a client that kept the thread busy had every other answer without usage priced at its
    // output alone.
    record.inputTokens = promptEstimate(p.bytes);
    record.inputSource = 'estimate';
    record.countNote = 'prompt not counted in time (the tokenizer thread was busy): estimated from its size';
  } else {
    record.inputTokens = n.tokens;
    record.inputSource = n.exact ? 'tokenizer' : 'estimate';
    if (!n.exact) record.countNote = 'prompt over the exact-count budget: estimated';
    // An Anthropic request's turns carry no images: its parts are read off the request's messages themselves.
    if (record.clientGone)
      chargeUntexted(record, p.api === 'anthropic' && !p.sentBody ? untextedParts(p.json.messages) : (n.untexted ?? 0));
  }
}

/** A prompt's parts that hold no text to count: images and audio, and kinds not known here (a file, a video). */
function untextedParts(messages: unknown): number {
  const { media, other } = promptParts(messages);
  return media + other;
}

/**
 * A client that left before the backend said what its prompt cost (the usage comes last in an OpenAI stream) is charged
 * each of its messages' parts the tokenizer cannot read — an image, audio, a file, a video — at a full-size image's
 * count (LEFT_PART_TOKENS): the backend prefilled hundreds to thousands of tokens for one before the first chunk.
 * Counted as 0, a tenant leaving each vision stream at its first chunk had its images prefilled without limit under any
 * tpm or budget (its reservation, the body's bytes / 3, refunded to the text's few tokens). A client that stays for the
 * usage pays what the backend counted.
 */
function chargeUntexted(record: RequestRecord, parts: number): void {
  if (parts === 0) return;
  record.inputTokens = Math.min(MAX_COUNT, record.inputTokens + LEFT_PART_TOKENS * parts);
  record.inputSource = 'estimate';
  record.countNote = `left before its usage: ${parts} image, audio or other part${parts === 1 ? '' : 's'} the tokenizer cannot read charged ${LEFT_PART_TOKENS} tokens each`;
}

/** The dearest a prompt token can cost over `prices`, in micro-dollars (USD per million tokens): cached and written input too. */
function dearestPromptPrice(prices: readonly Prices[]): number {
  let max = 0;
  for (const p of prices) max = Math.max(max, p.input, p.cachedInput ?? 0, p.cacheWrite ?? 0);
  return max;
}

/**
 * The most a request can cost, in micro-dollars: its prompt bound at the dearest input price (cached input and
 * cache writes too: a cache write is priced above input) plus its completion bound at the dearest output price, over `prices`.
 */
export function costBound(prices: readonly Prices[], prompt: number, completion: number): number {
  let max = 0;
  for (const p of prices) {
    max = Math.max(max, prompt * Math.max(p.input, p.cachedInput ?? 0, p.cacheWrite ?? 0) + completion * p.output);
  }
  return Math.ceil(max);
}

/** Micro-dollars to charge for a finished request: its cost on the target that answered (0 when unpriced or unanswered). */
function actualMicroUsd(record: RequestRecord, promptEstimate: number): number {
  if (!record.answered || !record.pricing) return 0;
  const input = record.inputSource === 'none' ? promptEstimate : record.inputTokens;
  return costMicroUsd(record.pricing, input, record.cachedInputTokens ?? 0, record.outputTokens, record.cacheWriteInputTokens);
}

/**
 * What the tokenizer counts as a request's prompt; a Messages request as the chat turns its translation carries. A
 * chat's is the whole body: its tool definitions are prompt as its messages are (token-worker.ts chatMessages); so is a
 * completion's: its suffix is prompt as its prompt is (token-worker.ts completionPrompt). Once the parsed body was
 * dropped (parse-request.ts `forgetBody`), the field is named in the bytes sent upstream.
 */
function promptPayload(p: ProxyRequest): unknown {
  const field = p.endpoint === 'embeddings' ? 'input' : undefined;
  if (p.sentBody) return { fromBody: ownBytes(p.sentBody), field } satisfies PromptInBody;
  if (p.api === 'anthropic') {
    // A request the chat turns cannot carry (a document, a server tool, an image in a tool result: an Anthropic backend
    // takes them as they are) is not counted as no turns: counted so, ~4,000 tokens of document cost 3.
    const turns = countTokensTurns(p.json);
    return turns.ok ? turns.value : UNCOUNTABLE;
  }
  return field === undefined ? p.json : p.json[field];
}

/** A prompt the tokenizer cannot count as the backend does: it is charged its estimate (estimate.ts) instead. */
const UNCOUNTABLE = Symbol('uncountable prompt');

/**
 * The bytes alone: a small Buffer is a view into Node's shared 8 KiB pool, and posting a view to the tokenizer
 * thread copies its whole ArrayBuffer — other requests' bytes with it. A view that owns its memory posts as is.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** Tokens to charge for a finished request. */
function actualCost(record: RequestRecord, promptEstimate: number): number {
  if (!record.answered) return 0;
  const input = record.inputSource === 'none' ? promptEstimate : record.inputTokens;
  return input + record.outputTokens;
}
