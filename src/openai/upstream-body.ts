/**
 * The body sent upstream: the client's bytes with two surgical edits — `model` becomes the target's
 * upstream name, and for streams `stream_options.include_usage` is switched on so tokens can be counted.
 * Nothing else is re-serialised.
 */
import { spliceValue, type TopLevelSpan } from './json-scan.js';
import type { ProxyRequest } from './parse-request.js';

export interface UpstreamBody {
  text: string;
  /** Whether include_usage was added for aigw's sake (the client did not ask). */
  injectedUsage: boolean;
}

export function upstreamBody(p: ProxyRequest, upstreamModelJson: string): UpstreamBody {
  const edits: { span: TopLevelSpan; json: string }[] = [{ span: p.modelSpan, json: upstreamModelJson }];
  let injectedUsage = false;
  if (p.stream && p.endpoint !== 'embeddings' && !p.clientIncludeUsage) {
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
  edits.sort((a, b) => b.span.start - a.span.start);
  let text = p.text;
  for (const e of edits) text = spliceValue(text, e.span, e.json);
  return { text, injectedUsage };
}
