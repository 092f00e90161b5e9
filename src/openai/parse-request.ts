/** The parse stage: the client's body → a validated ProxyRequest, or an error value (never a throw). */
import { type AigwError, aigwError, type Result } from '../core/errors.js';
import { utf8Text } from '../core/utf8-text.js';
import { type ClientApi, ENDPOINT_API, type Endpoint } from './endpoints.js';
import { caseVariant, MAX_DISTINCT_KEYS, MAX_JSON_VALUES, scanTopLevel, type TopLevelSpan } from './json-scan.js';
import { describeIssue, plainChatRequest, RoutedRequest } from './wire.js';

export interface ProxyRequest {
  endpoint: Endpoint;
  /** The API the client speaks: its errors are rendered in that API's shape, its body translated when a backend speaks the other. */
  api: ClientApi;
  /**
   * The body exactly as the client sent it (emptied by `forgetBody` once an answer is committed: no later
   * attempt needs it, and a stream holds its request for minutes), and its size in bytes.
   */
  text: string;
  bytes: number;
  /**
   * The client's bytes, kept when they are valid UTF-8 — then editing them is editing the text, and the body
   * sent upstream is spliced from them rather than encoded again (upstream-body.ts); undefined otherwise, and
   * once the first attempt's body was built from them (another attempt encodes the text: the same bytes).
   */
  raw: Buffer | undefined;
  /** Every byte is ASCII: an offset into `text` is an offset into `raw`. */
  ascii: boolean;
  /**
   * The parsed body; dropped by `forgetBody` (replaced by an empty object) once an answer is committed and
   * `sentBody` holds the same prompt.
   */
  json: Record<string, unknown>;
  /**
   * Set by `forgetBody`: the bytes sent upstream, the client's body with only `model` and `stream_options`
   * edited, so its prompt field is the client's. The pool holds them for the answer's life anyway.
   */
  sentBody?: Buffer;
  /** The public model name (top-level keys are unique, so this is also what a backend reads). */
  model: string;
  modelSpan: TopLevelSpan;
  spans: Map<string, TopLevelSpan>;
  stream: boolean;
  /** What the client asked for in stream_options.include_usage. */
  clientIncludeUsage: boolean;
  /** max_completion_tokens / max_tokens, when given: the most the request names (what its reservation covers). */
  maxTokens: number | undefined;
  /**
   * The length every backend holds an answer to: maxTokens when max_tokens names one, undefined when only
   * max_completion_tokens does — llama.cpp's server before 2026 (ggml-org/llama.cpp#13700), llama-cpp-python and
   * llamafile read max_tokens (or n_predict) alone and without it generate to their context. What caps a charge and
   * tells a short answer from a long one (routing/feedback.ts) reads this, not maxTokens.
   */
  lengthBound: number | undefined;
  /** How many completions one request can produce: n (or best_of), times the prompts of a batch. */
  choices: number;
  /**
   * A completion with `echo: true` and a prompt of text: vLLM and OpenAI begin each choice's text with its prompt,
   * which is prompt, not output — counting an answer's text leaves it out (tenants/admission.ts countOutput).
   */
  echoesPrompt: boolean;
  /**
   * A completion with `echo: true` and `max_tokens: 0`: the prompt scored. Bounded as max_tokens 1 (what OpenAI and vLLM
   * hold it to); a backend that reads the 0 as no limit generates more, which its reported usage says (admission.ts).
   */
  scoresPrompt: boolean;
}

/** Deeper nesting than any real request (tool schemas included) is refused before JSON.parse sees it. */
export const MAX_JSON_DEPTH = 128;
/** The largest max_tokens accepted: far beyond any model's context, far below an unbounded reservation. */
export const MAX_COMPLETION_TOKENS = 100_000_000;
const CHAT_TOKEN_FIELDS = ['max_completion_tokens', 'max_tokens'] as const;
/**
 * Anthropic's Messages and the legacy completions API name the length max_tokens alone: no completions backend reads
 * max_completion_tokens (OpenAI's and vLLM's take max_tokens, 16 when absent; llama.cpp's generates to its context).
 */
const MAX_TOKENS_ONLY = ['max_tokens'] as const;
/**
 * The longest model name a request may give. Real ones are short (a Hugging Face id is at most 96 characters);
 * the name goes into the request's event, its log line and the replay history, 1,024 of them kept — unbounded,
 * 8 MiB names from one client exhausted the heap.
 */
export const MAX_MODEL_NAME = 256;
/** OpenAI's own bounds on n and best_of. */
const MAX_N = 128;
const MAX_BEST_OF = 20;

function isJsonContentType(ct: string | undefined): boolean {
  if (ct === undefined || ct === 'application/json') return true;
  const base = ct.split(';', 1)[0]!.trim().toLowerCase();
  return base === 'application/json' || base.endsWith('+json');
}

/**
 * The charset a JSON content-type names other than UTF-8, if any. The body is read as UTF-8 and goes upstream under
 * the client's content-type: a backend that decodes by the charset (Express's body-parser takes any `utf-*` iconv-lite
 * knows, UTF-7 among them) read other JSON than the gateway did — `+ACIALAAi…-` in a string the gateway read as text
 * was `","model":"…` there, a second model after the one the gateway wrote, past the allow-list and the limits.
 * Every `charset` parameter is read (a repeated one too), quoted or not, and RFC 2231's `charset*` with it.
 */
function otherCharset(ct: string | undefined): string | undefined {
  if (ct === undefined || ct === 'application/json') return undefined;
  const params = ct.split(';');
  for (let i = 1; i < params.length; i++) {
    const eq = params[i]!.indexOf('=');
    if (eq < 0) continue;
    const name = params[i]!.slice(0, eq).trim().toLowerCase();
    if (name !== 'charset' && name !== 'charset*') continue;
    let value = params[i]!.slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name === 'charset*') value = extendedValue(value);
    value = value.toLowerCase();
    if (value !== 'utf-8' && value !== 'utf8') return value;
  }
  return undefined;
}

/**
 * An RFC 2231 extended parameter's value: `utf-8''utf-7` (charset, language, percent-encoded text) is `utf-7`, as Django
 * (parse_header_parameters) and Werkzeug read `charset*=` — the charset to them, the `*` dropped. Text that does not
 * decode stays as it came (it is then no UTF-8).
 */
function extendedValue(value: string): string {
  const parts = value.split("'");
  const text = parts.length === 3 ? parts[2]! : value;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const fail = (error: AigwError): Result<never> => ({ ok: false, error });

/**
 * The top-level fields the gateway reads to route, check, reserve, count and estimate a request — each must be read
 * by the backend as the gateway read it. A backend that matches keys regardless of case (Go's encoding/json: Ollama,
 * LocalAI; ASP.NET) reads `"Model"`, `"MAX_TOKENS"`, `"ſtream"` (a long s) as these, and a key so spelt is refused.
 */
const READ_FIELDS: ReadonlySet<string> = new Set([
  ...['model', 'messages', 'prompt', 'input', 'system', 'tools', 'stream', 'stream_options'],
  ...['max_tokens', 'max_completion_tokens', 'n', 'n_predict', 'n_cmpl', 'best_of'],
  ...['prompt_embeds', 'mcp_servers', 'chat_template', 'chat_template_kwargs'],
]);

const INCLUDE_USAGE: ReadonlySet<string> = new Set(['include_usage']);

/** A client's value in a message, bounded (a 1 MB string for max_tokens is not echoed back whole). */
function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * The request's content-type as its head gives it — the value, or every distinct value when it gives several. node:http
 * keeps only the first of repeated content-type headers in `headers`, and the client's headers go upstream as they
 * came: a backend that reads the last — gunicorn's WSGI environ overwrites CONTENT_TYPE with each, and Django reads
 * the body's charset from it — read `application/json; charset=utf-7` after the `application/json` the gateway
 * checked, and other JSON than the gateway routed. Repeats of one value are one reading.
 */
export function contentTypeOf(rawHeaders: readonly string[]): string | readonly string[] | undefined {
  let first: string | undefined;
  let distinct: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 12 || name.toLowerCase() !== 'content-type') continue;
    const value = rawHeaders[i + 1]!;
    if (first === undefined) first = value;
    else if (value !== first && !distinct?.includes(value)) (distinct ??= [first]).push(value);
  }
  return distinct ?? first;
}

export function parseProxyRequest(
  endpoint: Endpoint,
  body: Buffer,
  contentType: string | readonly string[] | undefined,
): Result<ProxyRequest> {
  if (typeof contentType === 'object') {
    const listed = contentType.slice(0, 4).map((ct) => JSON.stringify(ct.slice(0, 60)));
    return fail(
      aigwError(
        'invalid_request',
        `the request gives ${contentType.length} different content-type headers (${listed.join(', ')}); send one`,
      ),
    );
  }
  if (!isJsonContentType(contentType)) {
    return fail(aigwError('invalid_request', `expected content-type application/json, got ${String(contentType).slice(0, 100)}`));
  }
  const charset = otherCharset(contentType);
  if (charset !== undefined) {
    return fail(
      aigwError(
        'unsupported_media_type',
        `the request body must be UTF-8 JSON; charset ${JSON.stringify(charset.slice(0, 40))} is not accepted`,
      ),
    );
  }
  const { text, ascii, valid } = utf8Text(body);
  const scan = scanTopLevel(text, MAX_JSON_DEPTH);
  if (!scan.ok) {
    if (scan.reason === 'repeated_key') {
      const key = scan.key.slice(0, 64);
      return fail(
        aigwError('invalid_request', `the top-level key ${JSON.stringify(key)} appears more than once (after decoding escapes)`, {
          param: key,
        }),
      );
    }
    if (scan.reason === 'too_deep') return fail(aigwError('invalid_json', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`));
    if (scan.reason === 'bad_key') return fail(aigwError('invalid_json', 'the request body has a key with an invalid escape'));
    if (scan.reason === 'too_many_values') {
      return fail(
        aigwError(
          'invalid_request',
          `the request body holds more than ${MAX_JSON_VALUES} objects, arrays and strings; no API request needs so many`,
        ),
      );
    }
    if (scan.reason === 'too_many_keys') {
      return fail(
        aigwError(
          'invalid_request',
          `the request body holds more than ${MAX_DISTINCT_KEYS} distinct object keys; no API request needs so many`,
        ),
      );
    }
    return fail(aigwError('invalid_json', 'the request body must be a JSON object'));
  }
  const variant = caseVariant(scan.spans.keys(), READ_FIELDS);
  if (variant) {
    const key = JSON.stringify(variant.key.slice(0, 64));
    return fail(
      aigwError(
        'invalid_request',
        `the top-level key ${key} is ${JSON.stringify(variant.name)} to a backend that reads keys regardless of case (Go, ASP.NET); spell it ${JSON.stringify(variant.name)}`,
        { param: variant.key.slice(0, 64) },
      ),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(aigwError('invalid_json', `the request body is not valid JSON: ${(e as Error).message}`));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return fail(aigwError('invalid_json', 'the request body must be a JSON object'));
  const obj = json as Record<string, unknown>;
  const modelSpan = scan.spans.get('model');
  if (obj.model === undefined || !modelSpan)
    return fail(aigwError('missing_model', 'you must provide a model parameter', { param: 'model' }));
  if (typeof obj.model !== 'string') {
    return fail(aigwError('invalid_request', `model: expected a string, got ${typeof obj.model}`, { param: 'model' }));
  }
  if (obj.model.length > MAX_MODEL_NAME)
    return fail(aigwError('invalid_request', `model: at most ${MAX_MODEL_NAME} characters, got ${obj.model.length}`, { param: 'model' }));
  if (endpoint !== 'chat' || !plainChatRequest(obj)) {
    const parsed = RoutedRequest[endpoint].safeParse(obj);
    if (!parsed.success) {
      const { message, param } = describeIssue(parsed.error);
      return fail(aigwError('invalid_request', message, { param }));
    }
  }
  const generation =
    endpoint === 'embeddings' || endpoint === 'count_tokens'
      ? { maxTokens: undefined, lengthBound: undefined, choices: 1 }
      : generationBounds(endpoint, obj);
  if ('code' in generation) return fail(generation);
  const so = obj.stream_options as { include_usage?: unknown } | null | undefined;
  // include_usage too is read by the gateway (whether to ask for usage, and to hide it): `"INCLUDE_USAGE": false` after
  // it is what a Go backend reads, and the stream's usage never comes.
  const usageVariant = so !== null && typeof so === 'object' ? caseVariant(Object.keys(so), INCLUDE_USAGE) : undefined;
  if (usageVariant) {
    const key = usageVariant.key.slice(0, 64);
    return fail(
      aigwError(
        'invalid_request',
        `stream_options: the key ${JSON.stringify(key)} is "include_usage" to a backend that reads keys regardless of case (Go, ASP.NET); spell it "include_usage"`,
        { param: `stream_options.${key}` },
      ),
    );
  }
  return {
    ok: true,
    value: {
      endpoint,
      api: ENDPOINT_API[endpoint],
      text,
      bytes: body.length,
      raw: valid ? body : undefined,
      ascii,
      json: obj,
      model: obj.model,
      modelSpan,
      spans: scan.spans,
      // Embeddings and token counts have no streamed form: a `stream: true` there is passed on, but the answer
      // is JSON (read as a stream, it was a 502 "a stream was asked for").
      stream: obj.stream === true && endpoint !== 'embeddings' && endpoint !== 'count_tokens',
      clientIncludeUsage: so?.include_usage === true,
      maxTokens: generation.maxTokens,
      lengthBound: generation.lengthBound,
      choices: generation.choices,
      // A plain property, not a conditional spread: the spread built every request's value on V8's slow
      // object-clone path, and left two shapes of ProxyRequest for each site that reads one.
      echoesPrompt: endpoint === 'completions' && obj.echo === true && promptHasText(obj.prompt),
      scoresPrompt: endpoint === 'completions' && obj.echo === true && obj.max_tokens === 0,
    },
  };
}

/** A completion's prompt holds text (a string, or strings in a batch), not token ids alone. */
function promptHasText(prompt: unknown): boolean {
  return typeof prompt === 'string'
    ? prompt.length > 0
    : Array.isArray(prompt) && prompt.some((x) => typeof x === 'string' && x.length > 0);
}

const NO_SPANS: Map<string, TopLevelSpan> = new Map();
const NO_JSON: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * Drops what an answer reached the client without needing, when no other attempt will be built from it: with a
 * long prompt, the request is most of what a stream holds, for minutes. The text and bytes go, and its spans (a key
 * slice would keep all of it alive). The parsed body goes too when `sent` — the bytes undici holds for the
 * answer's life anyway — carries the prompt unchanged: the settle stage, should it have to count the prompt
 * (no usage came), has the tokenizer thread read it from those bytes.
 */
export function forgetBody(p: ProxyRequest, sent: Buffer | undefined): void {
  p.text = '';
  p.raw = undefined;
  p.spans = NO_SPANS;
  if (sent === undefined) return;
  p.json = NO_JSON;
  p.sentBody = sent;
}

/**
 * What a request may generate, checked so a reservation always covers it: max_tokens (or, on chat,
 * max_completion_tokens) absent or null means the profile's default; otherwise a whole number from 1 to
 * MAX_COMPLETION_TOKENS (0, negative, fractional, a string or larger is 400, never an unlimited
 * reservation), raised by llama.cpp's n_predict. n (or llama.cpp's n_cmpl) and best_of multiply it, and so does
 * each prompt of a completions batch.
 */
function generationBounds(
  endpoint: Endpoint,
  obj: Record<string, unknown>,
): { maxTokens: number | undefined; lengthBound: number | undefined; choices: number } | AigwError {
  let maxTokens: number | undefined;
  let byMaxTokens = false;
  if (endpoint === 'messages') {
    // Anthropic requires max_tokens (and words its absence so); a Message is one answer, whatever else the body holds.
    if (obj.max_tokens === undefined || obj.max_tokens === null)
      return aigwError('invalid_request', 'max_tokens: Field required', { param: 'max_tokens' });
  }
  for (const field of endpoint === 'chat' ? CHAT_TOKEN_FIELDS : MAX_TOKENS_ONLY) {
    // A completion echoing its prompt with max_tokens 0 scores the prompt (its logprobs), as OpenAI's legacy completions
    // and vLLM take it; vLLM generates one token and drops it, so it is bounded as max_tokens 1 (reserved; charged so unless
    // the backend reports more: scoresPrompt).
    // Refused with every other 0, a perplexity scorer that worked against vLLM was a 400 through the gateway.
    const scoresPrompt = endpoint === 'completions' && field === 'max_tokens' && obj.max_tokens === 0 && obj.echo === true;
    const v = scoresPrompt ? 1 : optionalCount(obj, field, MAX_COMPLETION_TOKENS);
    if (typeof v === 'object') return v;
    // Both named on chat: backends differ in which they obey (OpenAI and vLLM max_completion_tokens, llama.cpp-like
    // servers max_tokens), so the request may produce the larger — what its reservation and estimates must cover.
    if (v !== undefined) maxTokens = Math.max(maxTokens ?? 0, v);
    if (v !== undefined && field === 'max_tokens') byMaxTokens = true;
  }
  if (endpoint === 'messages') return { maxTokens, lengthBound: maxTokens, choices: 1 };
  // llama.cpp's server (an OpenAI-compatible backend) obeys n_predict over max_tokens, and n_cmpl over n: read as
  // max_tokens and n alone, max_tokens 1 with n_predict 4,000 was reserved and charged 1 output token (usage is capped
  // at what the request could generate) for 4,000 generated, and n_cmpl 4 four answers charged as one. n_predict
  // raises a bound the other fields set and never sets one: vLLM does not read it, and generates to its context
  // when they are absent, whatever n_predict says.
  const nPredict = optionalCount(obj, 'n_predict', MAX_COMPLETION_TOKENS);
  if (typeof nPredict === 'object') return nPredict;
  if (nPredict !== undefined && maxTokens !== undefined) maxTokens = Math.max(maxTokens, nPredict);
  const n = countField(obj, 'n', MAX_N);
  if (typeof n !== 'number') return n;
  const nCmpl = countField(obj, 'n_cmpl', MAX_N);
  if (typeof nCmpl !== 'number') return nCmpl;
  // best_of is read on chat too: vLLM's chat request takes it (one of its sampling parameters) and generates best_of
  // sequences to return n of them. Read on completions alone, a chat of best_of 1,000,000 went upstream unchecked,
  // reserved as one answer.
  const bestOf = countField(obj, 'best_of', MAX_BEST_OF);
  if (typeof bestOf !== 'number') return bestOf;
  if (bestOf < n && obj.best_of !== undefined && obj.best_of !== null) {
    return aigwError('invalid_request', `best_of (${bestOf}) must be at least n (${n})`, { param: 'best_of' });
  }
  const prompt = obj.prompt;
  const embeds = endpoint === 'completions' ? embedsPrompts(obj.prompt_embeds) : 0;
  // Beside embeddings, no prompt (or vLLM's documented stand-in for none, "") is no prompt of its own to answer.
  const prompts =
    embeds > 0 && (prompt === undefined || prompt === null || prompt === '')
      ? 0
      : endpoint === 'completions' && Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number'
        ? prompt.length
        : 1;
  // max_completion_tokens alone bounds the answer on OpenAI and vLLM but on no backend that reads max_tokens alone
  // (llama.cpp's server before 2026, llama-cpp-python, llamafile: ggml-org/llama.cpp#13700): there, max_completion_tokens 1
  // generated to the context while the charge was capped at 1 token and the answer read as a short one.
  const lengthBound = byMaxTokens ? maxTokens : undefined;
  return { maxTokens, lengthBound, choices: Math.max(n, nCmpl, bestOf) * (prompts + embeds) };
}

/**
 * The prompts vLLM's completions make of `prompt_embeds` (with --enable-prompt-embeds): each entry is one, after the
 * prompt's own, each with its n answers — counted by the prompt alone, eight entries beside prompt "x" were nine
 * answers reserved and charged as one. A string is one entry; anything else there is counted one, as vLLM refuses it.
 */
function embedsPrompts(v: unknown): number {
  if (v === undefined || v === null) return 0;
  return Array.isArray(v) ? v.length : 1;
}

/** A whole number from 1 to `max`; undefined when the field is absent or null; the 400 naming it otherwise. */
function optionalCount(obj: Record<string, unknown>, field: string, max: number): number | undefined | AigwError {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    return aigwError('invalid_request', `${field} must be a whole number from 1 to ${max}, got ${shown(v)}`, { param: field });
  }
  return v;
}

/** optionalCount, 1 when absent. */
function countField(obj: Record<string, unknown>, field: string, max: number): number | AigwError {
  return optionalCount(obj, field, max) ?? 1;
}
