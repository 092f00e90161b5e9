/** A raw HTTP client over node:http: every chunk as the socket delivered it, and how the body ended. */
import { connect } from 'node:net';
import { request } from 'node:http';
import { decodeSseBody, type SseEvent } from '../../src/openai/sse.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  chunks: { at: number; data: Buffer }[];
  body: Buffer;
  events: SseEvent[];
  /** How the body ended: cleanly, or with the connection cut (reset or premature close). */
  ended: 'complete' | 'aborted';
  headersAt: number;
}

export function rawPost(
  url: string,
  body: unknown,
  opts: {
    headers?: Record<string, string>;
    abortAfterMs?: number;
    abortAfterChunks?: number;
    /** Leave (destroy the request) once this settles: e.g. once the backend has the request. */
    abortWhen?: Promise<unknown>;
    onChunk?: (n: number) => void;
  } = {},
): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let finishAborted: (() => void) | undefined;
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers } }, (res) => {
      const out: RawResponse = {
        status: res.statusCode!,
        headers: res.headers,
        chunks: [],
        body: Buffer.alloc(0),
        events: [],
        ended: 'complete',
        headersAt: performance.now() - started,
      };
      let done = false;
      const finish = (ended: RawResponse['ended']) => {
        if (done) return;
        done = true;
        out.ended = ended;
        out.body = Buffer.concat(out.chunks.map((c) => c.data));
        out.events = decodeSseBody(out.body);
        resolve(out);
      };
      res.on('data', (d: Buffer) => {
        out.chunks.push({ at: performance.now() - started, data: d });
        opts.onChunk?.(out.chunks.length);
        if (opts.abortAfterChunks !== undefined && out.chunks.length >= opts.abortAfterChunks) req.destroy();
      });
      finishAborted = () => finish('aborted');
      res.on('end', () => finish('complete'));
      res.on('error', () => finish('aborted'));
      res.on('aborted', () => finish('aborted'));
      res.on('close', () => {
        if (!res.complete) finish('aborted');
      });
    });
    if (opts.abortAfterMs !== undefined) setTimeout(() => req.destroy(), opts.abortAfterMs);
    opts.abortWhen?.then(() => req.destroy());
    // Once a response has begun, a reset ends its body; before that it fails the request.
    req.on('error', (e) => (finishAborted ? finishAborted() : reject(e)));
    req.end(JSON.stringify(body));
  });
}

/** The text of a chat stream's content deltas. */
export function streamedText(events: SseEvent[]): string {
  let text = '';
  for (const e of events) {
    if (!e.data || e.data === '[DONE]') continue;
    const j = JSON.parse(e.data) as { choices?: { delta?: { content?: string }; text?: string }[] };
    text += j.choices?.[0]?.delta?.content ?? j.choices?.[0]?.text ?? '';
  }
  return text;
}

/** Writes `text` in one write on a new connection to `url`, and reads until the gateway closes it, or `ms` pass. */
export function writeAndReadToClose(url: string, text: string, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let read = '';
    const s = connect(Number(new URL(url).port), '127.0.0.1', () => s.write(text));
    s.on('data', (d) => (read += d));
    s.on('error', () => {});
    const cap = setTimeout(() => s.destroy(), ms);
    s.on('close', () => {
      clearTimeout(cap);
      resolve(read);
    });
  });
}
