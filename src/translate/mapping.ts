/**
 * The small correspondences both directions share: stop reasons and finish reasons, image URLs and image
 * sources, usage counts, and the body/param helpers every translator uses to report what cannot map.
 */
import { type AigwError, aigwError, type Result } from '../core/errors.js';
import { sha256 } from '../core/sha256.js';
import type { ImageBlock } from '../anthropic/blocks.js';
import type { DeltaUsage, Usage } from '../anthropic/response.js';
import { MAX_MODEL_NAME } from '../openai/parse-request.js';
import type { ChatUsage } from './openai-chat.js';

/** Token counts of one answer, as accounting needs them. `input` counts every prompt token, cached or not. */
export interface TokenUsage {
  input: number;
  output: number;
  /** Prompt tokens read from the backend's prompt cache (OpenAI: prompt_tokens_details.cached_tokens). */
  cacheRead: number;
  /** Prompt tokens written to the cache (Anthropic only). */
  cacheCreation: number;
  /** The backend's usage gave no readable count of the uncached prompt (left out, a string): `input` is no count of it. */
  inputUnread?: true;
}

/** Anthropic's stop_reason → OpenAI's finish_reason. */
export function finishReasonOf(stopReason: string | null | undefined): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn, and anything newer: the answer stopped by itself.
      return 'stop';
  }
}

/**
 * The finish_reason of an Anthropic answer, given whether it made tool calls. A server of Anthropic's API over an
 * OpenAI-style engine says stop_reason `tool_use` where the engine said `tool_calls` and parsed no call (vLLM's
 * /v1/messages, vllm-project/vllm#53255): read as `tool_calls`, the OpenAI client got a finish OpenAI never sends
 * without the calls, which a loop on it answers with none, again and again. No call made, the model stopped by itself.
 */
export function finishReasonWithCalls(stopReason: string | null | undefined, calls: boolean): ReturnType<typeof finishReasonOf> {
  const finish = finishReasonOf(stopReason);
  return finish === 'tool_calls' && !calls ? 'stop' : finish;
}

/**
 * OpenAI's finish_reason → Anthropic's stop_reason. vLLM names the stop string that ended an answer in
 * `stop_reason`; when it did, the answer ended on a stop sequence.
 */
/**
 * vLLM ends an answer it gave up on (the engine aborted the request, or failed mid-generation) with finish_reason
 * `abort` or `error`: a cut, which Anthropic's stop reasons have no word for — never an `end_turn`.
 */
export function isCutFinish(finishReason: string | null | undefined): boolean {
  return finishReason === 'abort' || finishReason === 'error';
}

export function stopReasonOf(finishReason: string | null | undefined, vllmStop?: string | number | null): StopInfo {
  switch (finishReason) {
    case 'length':
      return { reason: 'max_tokens', sequence: null };
    case 'tool_calls':
    case 'function_call':
      return { reason: 'tool_use', sequence: null };
    case 'content_filter':
      return { reason: 'refusal', sequence: null };
    default:
      return typeof vllmStop === 'string' ? { reason: 'stop_sequence', sequence: vllmStop } : { reason: 'end_turn', sequence: null };
  }
}

/**
 * The stop reason of an OpenAI answer, given whether it made tool calls. OpenAI answers finish_reason "stop" when
 * tool_choice named the function, and Anthropic's clients loop on tool_use; but an answer cut by its token limit
 * or a content filter ended for that reason — its last call may be incomplete, and a client that ran it would
 * run a call the model never finished: max_tokens and refusal win over tool_use.
 */
export function stopReasonWithCalls(
  finishReason: string | null | undefined,
  vllmStop: string | number | null | undefined,
  calls: boolean,
): StopInfo {
  if (calls && !isLimitFinish(finishReason)) return { reason: 'tool_use', sequence: null };
  // No call made: the model stopped by itself, whatever the finish_reason says. vLLM answers `tool_calls` when
  // tool_choice was `required` and no call was parsed (vllm-project/vllm#53255); read as tool_use, the client got a
  // Message Anthropic never sends (tool_use without a tool_use block), which a loop on stop_reason answers forever.
  if (finishReason === 'tool_calls' || finishReason === 'function_call') return stopReasonOf('stop', vllmStop);
  return stopReasonOf(finishReason, vllmStop);
}

/** finish_reason length or content_filter: the backend stopped the answer where it was, not where the model ended it. */
export function isLimitFinish(finishReason: string | null | undefined): boolean {
  return finishReason === 'length' || finishReason === 'content_filter';
}

export interface StopInfo {
  reason: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';
  sequence: string | null;
}

/** The media types Anthropic takes for images. */
const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const DATA_URL = /^data:([^;,]+);base64,/;

/** An OpenAI image_url → an Anthropic image source: data: URLs become base64 sources, http(s) URLs url sources. */
export function imageSourceOf(url: string, param: string): Result<ImageBlock['source']> {
  const m = DATA_URL.exec(url);
  if (m) {
    const data = url.slice(m[0].length);
    // The type the picture's bytes say, before the one its URL names: Anthropic checks the bytes against media_type and
    // refuses a mismatch (400 "Image does not match the provided media type image/png"), where OpenAI reads the bytes —
    // a JPEG labelled image/png (a screenshot tool's, a renamed file) or `image/jpg` was OpenAI's answer and a 400 here.
    const mediaType = sniffedImageType(data) ?? m[1]!.toLowerCase();
    if (!IMAGE_TYPES.has(mediaType)) {
      return refuse(`${param}: image type ${clip(mediaType)} cannot be sent to an Anthropic backend (jpeg, png, gif, webp)`, param);
    }
    return { ok: true, value: { type: 'base64', media_type: mediaType, data } };
  }
  if (/^https?:\/\//i.test(url)) return { ok: true, value: { type: 'url', url } };
  const what = url.startsWith('data:') ? 'a data: URL that is not base64' : 'a URL that is neither data: nor http(s):';
  return refuse(`${param}: ${what} cannot be sent to an Anthropic backend`, param);
}

/** The image type of base64 `data` by its first bytes' signature (PNG, JPEG, GIF, WebP); undefined for none of them. */
export function sniffedImageType(data: string): string | undefined {
  // 16 base64 characters are 12 bytes: WebP's `RIFF····WEBP` is the longest signature read.
  const b = Buffer.from(data.slice(0, 16), 'base64');
  if (b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/**
 * An Anthropic image source → the URL of an OpenAI image_url part. The media type is checked as Anthropic checks
 * it (and as imageSourceOf checks the other way): an arbitrary one would make a data: URL the backend misreads —
 * `image/png;x,` is not a media type — or one no Anthropic backend would have taken.
 */
export function imageUrlOf(source: ImageBlock['source'], param: string): Result<string> {
  if (source.type === 'base64') {
    const mediaType = source.media_type.toLowerCase();
    if (!IMAGE_TYPES.has(mediaType)) {
      return refuse(
        `${param}.media_type: image type ${clip(source.media_type)} is not one of image/jpeg, image/png, image/gif, image/webp`,
        `${param}.media_type`,
      );
    }
    return { ok: true, value: `data:${mediaType};base64,${source.data}` };
  }
  if (source.type === 'url') return { ok: true, value: source.url };
  return refuse(`${param}: an image from Anthropic's Files API can only be sent to an Anthropic backend`, param);
}

/** OpenAI usage → accounting: prompt_tokens already include the cached ones. */
export function usageFromChat(u: ChatUsage): TokenUsage {
  const cached = Math.min(u.prompt_tokens_details?.cached_tokens ?? 0, u.prompt_tokens);
  return { input: u.prompt_tokens, output: u.completion_tokens, cacheRead: cached, cacheCreation: 0 };
}

/** Anthropic usage → accounting: its input_tokens exclude cache reads and writes, which it counts apart. */
export function usageFromAnthropic(u: Usage | DeltaUsage, previous?: TokenUsage): TokenUsage {
  const cacheRead = u.cache_read_input_tokens ?? previous?.cacheRead ?? 0;
  const cacheCreation = u.cache_creation_input_tokens ?? previous?.cacheCreation ?? 0;
  const uncached = u.input_tokens ?? (previous ? previous.input - previous.cacheRead - previous.cacheCreation : 0);
  const usage: TokenUsage = { input: uncached + cacheRead + cacheCreation, output: u.output_tokens, cacheRead, cacheCreation };
  // A message_delta's usage with no message_start's before it (one the backend wrote unreadably): no prompt count.
  if (u.input_tokens == null && (!previous || previous.inputUnread)) usage.inputUnread = true;
  return usage;
}

/** Accounting → Anthropic's usage object. */
export function anthropicUsageOf(u: TokenUsage): {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
} {
  return {
    input_tokens: Math.max(0, u.input - u.cacheRead - u.cacheCreation),
    cache_creation_input_tokens: u.cacheCreation,
    cache_read_input_tokens: u.cacheRead,
    output_tokens: u.output,
  };
}

/** Accounting → OpenAI's usage object. */
export function chatUsageOf(u: TokenUsage): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
} {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
  };
}

/** Tool call arguments as an object: `""` (no arguments, as some servers send it) is `{}`; anything else not an object is undefined. */
export function argumentsObject(args: string): Record<string, unknown> | undefined {
  if (args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A 400 invalid_request naming the field. */
export function refuse<T>(message: string, param: string | null): Result<T> {
  return { ok: false, error: aigwError('invalid_request', message, { param }) };
}

/** A backend answer the translator cannot read: 502, the way any unreadable backend answer is reported. */
export function unreadable(what: string): AigwError {
  return aigwError('bad_upstream_response', `the backend's answer cannot be translated: ${what}`);
}

/**
 * Why an answer whose id or model name is longer than the gateway takes a model name from a client (MAX_MODEL_NAME)
 * cannot be translated, if it cannot. A translation repeats both: an OpenAI client's stream names them in every
 * chunk, and an Anthropic client's tool calls that came without an id are named after the answer's — a message_start
 * naming a 1 MiB model made each one-letter delta after it a megabyte out, all of one read's built at once. No
 * backend's names come near the bound; the answer is refused whole, streamed or not, rather than renamed.
 */
export function overlongName(id: string | undefined, model: string | undefined): AigwError | undefined {
  if (id !== undefined && id.length > MAX_MODEL_NAME) return unreadable(`an id of ${id.length} characters (at most ${MAX_MODEL_NAME})`);
  if (model !== undefined && model.length > MAX_MODEL_NAME) {
    return unreadable(`a model name of ${model.length} characters (at most ${MAX_MODEL_NAME})`);
  }
  return undefined;
}

/** The longest answer id a generated tool call id repeats as it is. */
const CALL_ID_ANSWER_ID = 40;

/**
 * The id of a tool call its backend sent none for (an Anthropic client needs one to answer it): named after the
 * answer's id and the call's place, so that the calls of different answers in one conversation stay apart. An answer
 * id longer than CALL_ID_ANSWER_ID is stood for by a digest of it: repeated as it is (up to MAX_MODEL_NAME, 256), a
 * chunk of 128 call starts without ids, 5.1 KB, made 62 KB of frames for the client (32 KB with the digest).
 */
export function generatedCallId(answerId: string, index: number): string {
  const of = answerId.length <= CALL_ID_ANSWER_ID ? answerId : sha256(answerId, 'base64url').slice(0, 22);
  return `toolu_${of}_${index}`;
}

/** JSON text of a translated body, or undefined for a value JSON.stringify cannot take (nesting beyond V8's limit). */
export function serialize(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** The 400 of a request that nests too deeply to translate. */
export function tooDeep<T>(param: string | null): Result<T> {
  return refuse('the request cannot be translated: it nests too deeply', param);
}

/** A client-controlled value quoted in a message, cut short. */
export function clip(text: string, max = 64): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/**
 * An end user's id as a backend that refuses it as it came is sent it: `aigw_` and its SHA-256 digest (48 characters) —
 * the same user, the same id, so the provider still tells users apart; no email address or other text of it is sent.
 */
export function digestedUserId(id: string): string {
  return `aigw_${sha256(id, 'base64url')}`;
}

/** The longest `user` OpenAI's API takes (400 "Invalid 'user': string too long. Expected … maximum length 64"). */
const MAX_OPENAI_USER = 64;

/**
 * An Anthropic `metadata.user_id` as chat completions' `user`. Claude Code sends ~150 characters (a JSON object of its
 * device, account and session ids), and OpenAI's API and Azure's take 64 at most (OpenRouter 128): every request of it
 * to such a backend was a 400. A longer one goes as its digest; a shorter one as it came.
 */
export function openAIUserOf(id: string): string {
  return id.length <= MAX_OPENAI_USER ? id : digestedUserId(id);
}

/** The ids Anthropic takes for a tool_use (and so a tool_result's tool_use_id). */
const ANTHROPIC_TOOL_ID = /^[a-zA-Z0-9_-]+$/;

/**
 * A tool call's id as Anthropic's API takes it. OpenAI-compatible servers write ids it refuses (Kimi K2 on vLLM names
 * its calls `functions.get_weather:0`; some write `""`), and a route may answer one turn there and the next on an
 * Anthropic target: sent as they came in an OpenAI client's history, that turn was Anthropic's 400 — and given so to an
 * Anthropic client, whose history passes through to an Anthropic target as it was given, too. An id it takes is kept;
 * another becomes a digest of it — the same for the call and its result, two for two ids (`a.b` and `a:b` stay two).
 */
export function anthropicToolId(id: string): string {
  if (ANTHROPIC_TOOL_ID.test(id)) return id;
  return `toolu_aigw_${sha256(id, 'base64url').slice(0, 32)}`;
}

/** What marks an id givenToolId encoded; longer ids than MAX_ENCODED_ID are given as anthropicToolId's digest. */
const ENCODED_ID = 'toolu_aigw64_';
const MAX_ENCODED_ID = 128;

/**
 * An OpenAI backend's call id as an Anthropic client is given it: as it came when Anthropic's API takes it, else in a
 * form it takes that `sentToolId` reads back. A digest alone (anthropicToolId) cannot be: the client's next turn sent
 * the backend ids it never wrote, and Kimi K2's chat template renders `functions.NAME:IDX` ids back to the model — shown
 * others, it writes calls in their form, which vLLM's kimi_k2 parser cannot read.
 */
export function givenToolId(id: string): string {
  if (ANTHROPIC_TOOL_ID.test(id)) return id;
  if (id.length > MAX_ENCODED_ID) return anthropicToolId(id);
  return ENCODED_ID + Buffer.from(id, 'utf8').toString('base64url');
}

/** The longest base64url givenToolId writes: MAX_ENCODED_ID UTF-16 units are at most 3 UTF-8 bytes each. */
const MAX_ENCODED_CHARS = ENCODED_ID.length + Math.ceil((MAX_ENCODED_ID * 3 * 4) / 3);

/** An id in an Anthropic client's history as an OpenAI backend is sent it: one givenToolId encoded, decoded. */
export function sentToolId(id: string): string {
  // Longer than any givenToolId writes: not decoded (a client's 5 MB id held the event loop ~0.1 s decoding and digesting).
  if (!id.startsWith(ENCODED_ID) || id.length > MAX_ENCODED_CHARS) return id;
  const decoded = Buffer.from(id.slice(ENCODED_ID.length), 'base64url').toString('utf8');
  // Only what givenToolId makes is read back: a client's own id of that form that decodes to something else (or to
  // nothing: `toolu_aigw64_` alone went to the backend as "") stays.
  return decoded !== '' && givenToolId(decoded) === id ? decoded : id;
}
