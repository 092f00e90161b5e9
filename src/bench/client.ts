/** The bench's HTTP client: undici requests to 127.0.0.1 targets, whole bodies or streamed events. */
import { request } from 'undici';
import { SseDecoder, type SseEvent } from '../openai/sse.js';
import { authHeaders, type BenchContext } from './context.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body ended cleanly (false: the connection was cut). */
  complete: boolean;
}

export function chatBody(ctx: BenchContext, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: ctx.model, messages: [{ role: 'user', content }], ...extra };
}

export async function post(
  ctx: BenchContext,
  body: unknown,
  headers: Record<string, string> = {},
  path = '/v1/chat/completions',
): Promise<Answer> {
  try {
    const r = await request(`${ctx.target.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(ctx), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
    const chunks: Buffer[] = [];
    let complete = true;
    try {
      for await (const c of r.body) chunks.push(c as Buffer);
    } catch {
      complete = false;
    }
    return { status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks), complete };
  } catch {
    return { status: 0, headers: {}, body: Buffer.alloc(0), complete: false };
  }
}

export interface StreamObserver {
  onEvent(ev: SseEvent, at: number): void;
}

/** Streams a completion; each event is reported with its arrival time (ms since the request started). */
export async function stream(
  ctx: BenchContext,
  body: Record<string, unknown>,
  obs: StreamObserver,
  signal?: AbortSignal,
): Promise<{ status: number; complete: boolean; bytes: number }> {
  const t0 = performance.now();
  try {
    const r = await request(`${ctx.target.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(ctx) },
      body: JSON.stringify({ ...body, stream: true }),
      signal,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
    const decoder = new SseDecoder();
    const sink = { onEvent: (ev: SseEvent) => obs.onEvent(ev, performance.now() - t0) };
    let bytes = 0;
    let complete = true;
    try {
      for await (const c of r.body) {
        bytes += (c as Buffer).length;
        decoder.push(c as Buffer, sink);
      }
      decoder.end(sink);
    } catch {
      complete = false;
    }
    return { status: r.statusCode, complete, bytes };
  } catch {
    return { status: 0, complete: false, bytes: 0 };
  }
}

/** The content text of one stream chunk (chat delta or completion text), or undefined. */
export function deltaText(data: string): string | undefined {
  if (!data.startsWith('{')) return undefined;
  try {
    const j = JSON.parse(data) as { choices?: { delta?: { content?: string | null }; text?: string }[] };
    return j.choices?.[0]?.delta?.content ?? j.choices?.[0]?.text ?? undefined;
  } catch {
    return undefined;
  }
}
