/**
 * The body sent upstream: the client's bytes with surgical edits — `model` becomes the target's
 * upstream name, and for streams `stream_options.include_usage` is switched on so tokens can be counted.
 * Nothing else is re-serialised, nor re-encoded: valid UTF-8 is spliced as bytes (encoding a MiB of text again
 * cost the event loop 3–5 ms here); only a body that was not valid UTF-8 is sent as its decoded text.
 */
import { memberSpan, type TopLevelSpan } from './json-scan.js';
import type { ProxyRequest } from './parse-request.js';

export interface UpstreamBody {
  body: Buffer;
  /** Whether include_usage was added for aigw's sake (the client did not ask). */
  injectedUsage: boolean;
}

/** One edit: the text at `span` (offsets into the request's text) becomes `json`. */
export interface BodyEdit {
  span: TopLevelSpan;
  json: string;
}

export function upstreamBody(p: ProxyRequest, upstreamModelJson: string, takesStreamOptions = true): UpstreamBody {
  const edits: BodyEdit[] = [{ span: p.modelSpan, json: upstreamModelJson }];
  let injectedUsage = false;
  if (takesStreamOptions && p.stream && p.endpoint !== 'embeddings' && !p.clientIncludeUsage) {
    injectedUsage = true;
    const so = p.spans.get('stream_options');
    if (so) {
      const current = p.json.stream_options;
      const merged = current && typeof current === 'object' ? { ...(current as object), include_usage: true } : { include_usage: true };
      edits.push({ span: so, json: JSON.stringify(merged) });
    } else {
      const close = p.text.lastIndexOf('}');
      edits.push({ span: { start: close, end: close }, json: ',"stream_options":{"include_usage":true}' });
    }
  }
  // A backend that refuses the field (Azure before 2024-09-01-preview: 400 "Unrecognized request argument supplied:
  // stream_options") is not sent the client's own: the client cannot know which version its model is served from, and
  // every stream asking for its usage failed at once. It streams without a usage chunk, as that version does.
  const so = takesStreamOptions ? undefined : p.spans.get('stream_options');
  if (so) edits.push({ span: memberSpan(p.text, so), json: '' });
  return { body: editedBody(p, edits), injectedUsage };
}

/** The request's body with `edits` (non-overlapping spans) applied, as the bytes to send. */
export function editedBody(p: ProxyRequest, edits: BodyEdit[]): Buffer {
  edits.sort((a, b) => a.span.start - b.span.start);
  const raw = p.raw;
  if (raw === undefined) {
    let text = '';
    let at = 0;
    for (const e of edits) {
      text += p.text.slice(at, e.span.start) + e.json;
      at = e.span.end;
    }
    return Buffer.from(text + p.text.slice(at));
  }
  const parts: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    const start = byteOffset(p, e.span.start);
    parts.push(raw.subarray(at, start), Buffer.from(e.json));
    at = e.span.end === e.span.start ? start : byteOffset(p, e.span.end);
  }
  parts.push(raw.subarray(at));
  return Buffer.concat(parts);
}

/** Where the character at `i` of the request's text starts in its bytes, measured from the nearer end. */
function byteOffset(p: ProxyRequest, i: number): number {
  if (p.ascii) return i;
  const { text } = p;
  return i <= text.length >>> 1 ? Buffer.byteLength(text.slice(0, i)) : p.raw!.length - Buffer.byteLength(text.slice(i));
}
