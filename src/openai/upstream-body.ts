/**
 * The body sent upstream: the client's bytes with two surgical edits — `model` becomes the target's
 * upstream name, and for streams `stream_options.include_usage` is switched on so tokens can be counted.
 * Nothing else is re-serialised.
 */
import { spliceValue, type TopLevelSpan } from './json-scan.js';
import type { ProxyRequest, RawBody } from './parse-request.js';

export interface UpstreamBody {
  /** A large body parsed off the event loop is edited as bytes, never decoded (gateway/off-loop-parse.ts). */
  text: string | Buffer;
  /** Whether include_usage was added for aigw's sake (the client did not ask). */
  injectedUsage: boolean;
}

export function upstreamBody(p: ProxyRequest, upstreamModelJson: string): UpstreamBody {
  if (p.raw) return rawUpstreamBody(p, p.raw, upstreamModelJson);
  const edits: { span: TopLevelSpan; json: string }[] = [{ span: p.modelSpan, json: upstreamModelJson }];
  let injectedUsage = false;
  if (p.stream && p.endpoint !== 'embeddings' && !p.clientIncludeUsage) {
    injectedUsage = true;
    const so = p.spans.get('stream_options');
    if (so) {
      edits.push({ span: so, json: withUsage(p.json.stream_options) });
    } else {
      const close = p.text.lastIndexOf('}');
      edits.push({ span: { start: close, end: close }, json: ',"stream_options":{"include_usage":true}' });
    }
  }
  edits.sort((a, b) => b.span.start - a.span.start);
  let text = p.text;
  for (const e of edits) text = spliceValue(text, e.span, e.json);
  return { text, injectedUsage };
}

/** The client's stream_options with include_usage switched on. */
function withUsage(current: unknown): string {
  return JSON.stringify(current && typeof current === 'object' ? { ...(current as object), include_usage: true } : { include_usage: true });
}

/** The client's body with only `model` replaced (an Anthropic client's, to an Anthropic backend). */
export function withModel(p: ProxyRequest, upstreamModelJson: string): string | Buffer {
  if (!p.raw) return spliceValue(p.text, p.modelSpan, upstreamModelJson);
  const { bytes, model } = p.raw;
  return Buffer.concat([bytes.subarray(0, model.start), Buffer.from(upstreamModelJson), bytes.subarray(model.end)]);
}

/** The same two edits on the bytes of a body parsed off the event loop: copies of its slices, no decoding. */
function rawUpstreamBody(p: ProxyRequest, raw: RawBody, upstreamModelJson: string): UpstreamBody {
  const edits: { at: number; end: number; json: string }[] = [{ at: raw.model.start, end: raw.model.end, json: upstreamModelJson }];
  const injectedUsage = p.stream && p.endpoint !== 'embeddings' && !p.clientIncludeUsage;
  if (injectedUsage) {
    const so = raw.streamOptions;
    if (so) edits.push({ at: so.start, end: so.end, json: withUsage(raw.top.stream_options) });
    else edits.push({ at: raw.close, end: raw.close, json: ',"stream_options":{"include_usage":true}' });
  }
  edits.sort((a, b) => a.at - b.at);
  const parts: Buffer[] = [];
  let from = 0;
  for (const e of edits) {
    parts.push(raw.bytes.subarray(from, e.at), Buffer.from(e.json));
    from = e.end;
  }
  parts.push(raw.bytes.subarray(from));
  return { text: Buffer.concat(parts), injectedUsage };
}
