/**
 * A proxied request's span, fed from what the stages learned: trace context and id at the start, the GenAI
 * request attributes once the body is parsed, the answer's attributes from the finished record. Called only
 * while tracing is on: with it off the request holds the shared NOOP_SPAN and none of this runs.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestRecord } from '../events/request-record.js';
import type { ProxyRequest } from '../openai/parse-request.js';
import { ERROR_TYPE_CLIENT_ABORTED, ERROR_TYPE_OTHER, spanProviderOf } from './genai-names.js';
import { MAX_CONTENT_CHARS, type RequestSpan, type Tracing } from './tracing.js';

/** The request field whose text is the prompt, per endpoint (captureContent). */
const CONTENT_FIELD: ReadonlyMap<string, string> = new Map([
  ['chat', 'messages'],
  ['completions', 'prompt'],
  ['embeddings', 'input'],
  ['messages', 'messages'],
]);

export function startRequestSpan(tracing: Tracing, headers: IncomingHttpHeaders, endpoint: string, requestId: string): RequestSpan {
  return tracing.startRequest({ traceparent: headers.traceparent, tracestate: headers.tracestate, endpoint, attrs: { requestId } });
}

const numberOrUndefined = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * After the parse stage: what the client asked for (and, with captureContent, the first 16 KiB of its prompt). `routed`:
 * the profile routes the model asked for — only then does it name the span (gen_ai.request.model says it either way).
 */
export function describeRequest(span: RequestSpan, p: ProxyRequest, tenant: string | undefined, routed: boolean): void {
  if (!span.recording) return;
  if (routed) span.nameModel(p.model);
  span.setAttributes({
    requestModel: p.model,
    stream: p.stream,
    maxTokens: p.maxTokens,
    temperature: numberOrUndefined(p.json.temperature),
    topP: numberOrUndefined(p.json.top_p),
    tenant,
  });
  if (!span.capturesContent) return;
  const field = CONTENT_FIELD.get(p.endpoint);
  const at = field === undefined ? undefined : p.spans.get(field);
  // The field's JSON as the client sent it, cut before it is copied: the cost is bounded whatever the prompt's size.
  // Copied (through bytes and back), so the span keeps its own string: a slice of the text would keep the whole
  // body alive for the span's life.
  if (at) span.recordContent('input', Buffer.from(p.text.slice(at.start, Math.min(at.end, at.start + MAX_CONTENT_CHARS))).toString('utf8'));
}

/** The span's error.type for a finished request: the gateway's own class, else why the answer is incomplete. */
export function spanErrorType(r: RequestRecord): string | undefined {
  if (r.errorType !== undefined) return r.errorType;
  if (r.clientGone) return ERROR_TYPE_CLIENT_ABORTED;
  return r.truncated ? ERROR_TYPE_OTHER : undefined;
}

/** At the end (after settle, so counted tokens are final): the answer's attributes, then the span ends. */
export function endRequestSpan(span: RequestSpan, r: RequestRecord): void {
  if (span.recording) {
    const notes = r.answerNotes;
    span.setAttributes({
      responseModel: r.responseModel,
      responseId: notes?.id,
      finishReasons: notes?.finishReasons.length ? notes.finishReasons : undefined,
      inputTokens: r.inputSource !== 'none' ? r.inputTokens : undefined,
      outputTokens: r.outputSource !== 'none' ? r.outputTokens : undefined,
      cachedInputTokens: r.cachedInputTokens,
      cacheWriteInputTokens: r.cacheWriteInputTokens,
      backend: r.backend,
      provider: spanProviderOf(r.provider),
      ttftMs: r.ttftMs,
    });
    const text = notes?.text;
    if (text) span.recordContent('output', text);
  }
  span.end(r.status, spanErrorType(r), r.endedAt);
}
