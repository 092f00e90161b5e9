/**
 * The parse stage's thread (off-loop-parse.ts): a large body is decoded, scanned, parsed and checked here, by the
 * same parseProxyRequest the event loop runs on small ones, and only what the pass-through path needs goes back —
 * the facts, where `model` and `stream_options` lie in the bytes, the small top-level values, the prompt's
 * estimated size — with the bytes themselves (transferred both ways, never copied).
 */
import { parentPort } from 'node:worker_threads';
import type { AigwError } from '../core/errors.js';
import type { Endpoint } from '../openai/endpoints.js';
import { type ByteSpan, type ProxyRequest, parseProxyRequest, type RawBody } from '../openai/parse-request.js';
import { promptSize } from '../routing/request-facts.js';

export interface ParseJob {
  id: number;
  endpoint: Endpoint;
  contentType: string | undefined;
  bytes: Uint8Array;
}

/** A parsed request without its text and parsed body (decoded again on the event loop only if something reads them). */
export type ParsedFacts = Omit<ProxyRequest, 'text' | 'json' | 'raw'> & { raw: Omit<RawBody, 'bytes'> };

export type ParseOutcome = { ok: true; facts: ParsedFacts } | { ok: false; error: AigwError };
export type ParseReply = ParseOutcome & { id: number; bytes: Uint8Array };

/** The byte offsets of a span of `text`, a body decoded from UTF-8. */
function bytesOf(text: string, start: number, end: number): ByteSpan {
  const s = Buffer.byteLength(text.slice(0, start));
  return { start: s, end: s + Buffer.byteLength(text.slice(start, end)) };
}

export function parseJob(job: ParseJob): ParseOutcome {
  const body = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const r = parseProxyRequest(job.endpoint, body, job.contentType);
  if (!r.ok) return r;
  const { text, json, raw: _raw, ...facts } = r.value;
  const so = facts.spans.get('stream_options');
  const raw: Omit<RawBody, 'bytes'> = {
    model: bytesOf(text, facts.modelSpan.start, facts.modelSpan.end),
    streamOptions: so && bytesOf(text, so.start, so.end),
    close: Buffer.byteLength(text.slice(0, text.lastIndexOf('}'))),
    top: { stream_options: json.stream_options, temperature: json.temperature, top_p: json.top_p },
    promptTokens: promptSize(r.value),
  };
  return { ok: true, facts: { ...facts, raw } };
}

parentPort?.on('message', (job: ParseJob) => {
  let reply: ParseOutcome;
  try {
    reply = parseJob(job);
  } catch (e) {
    reply = { ok: false, error: { code: 'internal_error', message: `the request could not be parsed: ${(e as Error).message}` } };
  }
  parentPort!.postMessage({ ...reply, id: job.id, bytes: job.bytes }, [job.bytes.buffer as ArrayBuffer]);
});
