/**
 * The parse stage off the event loop, for large bodies: decoding, scanning and parsing a body costs ~4 ms per MiB
 * of the event loop's time on this project's 2-core machine (an 8 MiB body, the default limit, ~40 ms), and every
 * stream relayed meanwhile waits. Past OFF_LOOP_BYTES the body goes to one worker thread (parse-worker.ts) and
 * back, transferred, not copied; the request comes back with its text and parsed body decoded only on first use —
 * which the pass-through path never does (upstream-body.ts edits the bytes). A translated request, a count_tokens
 * and a `prefix` route still read them, on the event loop, as a translating gateway must.
 */
import { Worker } from 'node:worker_threads';
import { aigwError, type Result } from '../core/errors.js';
import type { Endpoint } from '../openai/endpoints.js';
import type { ProxyRequest, RawBody } from '../openai/parse-request.js';
import type { ParsedFacts, ParseJob, ParseReply } from './parse-worker.js';

/**
 * Bodies from this size on are parsed off the event loop. Below it the parse costs less than the round trip
 * (posting, the thread's wake-up, the reply: ~0.1 ms here), and real chat bodies are mostly well below.
 */
export const OFF_LOOP_BYTES = 64 * 1024;

/**
 * Bytes waiting for or in the thread at once. Past it (bodies arriving faster than one thread parses them, ~200
 * MiB/s here) a body is parsed inline, as all were before: no request is refused or waits longer for it, and what
 * waits in memory stays bounded.
 */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * The compiled worker: from dist/ it sits beside this file; under vitest this file is the TypeScript source,
 * which a worker thread cannot load, so the build's copy is used (`npm test` builds first).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  const url = new URL('./parse-worker.js', here);
  return here.endsWith('.ts') ? new URL(url.href.replace('/src/gateway/', '/dist/gateway/')) : url;
}

/** A request parsed off the loop: its text and JSON decoded from the bytes the first time something reads them. */
class OffLoopRequest {
  #bytes: Buffer | undefined;
  #text: string | undefined;
  #json: Record<string, unknown> | undefined;

  constructor(facts: ParsedFacts, bytes: Buffer) {
    Object.assign(this, facts);
    this.#bytes = bytes;
    (this as unknown as ProxyRequest).raw = { ...facts.raw, bytes } satisfies RawBody;
  }

  get text(): string {
    this.#text ??= this.#bytes?.toString('utf8') ?? '';
    return this.#text;
  }

  set text(v: string) {
    this.#text = v;
    this.dropBytes();
  }

  get json(): Record<string, unknown> {
    // Checked in the worker: an object.
    this.#json ??= JSON.parse(this.#bytes?.toString('utf8') ?? '{}') as Record<string, unknown>;
    return this.#json;
  }

  set json(v: Record<string, unknown>) {
    this.#json = v;
    this.dropBytes();
  }

  /**
   * Dropped (parse-request.ts forgetBody: the text emptied, the parsed body kept or replaced): the bytes go too, as
   * nothing is left to decode from them — a stream would otherwise hold its prompt twice for as long as it lasts.
   */
  private dropBytes(): void {
    if (this.#text === '' && this.#json !== undefined) this.#bytes = undefined;
  }
}

/** The request a worker's facts and the body's bytes make. */
export function offLoopRequest(facts: ParsedFacts, bytes: Buffer): ProxyRequest {
  return new OffLoopRequest(facts, bytes) as unknown as ProxyRequest;
}

/** One thread and the parses it owes. */
interface Thread {
  worker: Worker;
  pending: Map<number, (r: ParseReply | undefined) => void>;
}

export class OffLoopParser {
  private thread: Thread | undefined;
  private nextId = 0;
  private queued = 0;

  /**
   * The body's parse, off the loop; undefined when MAX_QUEUED_BYTES are waiting already (parse it inline). The
   * bytes are transferred to the thread: until the reply, `body` is empty. A thread that fails answers its
   * pending parses with an error; the next parse starts a new one.
   */
  parse(endpoint: Endpoint, body: Buffer, contentType: string | undefined): Promise<Result<ProxyRequest>> | undefined {
    if (this.queued + body.length > MAX_QUEUED_BYTES) return undefined;
    const thread = (this.thread ??= this.spawn());
    const size = body.length;
    this.queued += size;
    // Only a buffer that is its whole ArrayBuffer can be transferred (a slice of a pooled one would take its neighbours).
    const bytes = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : Buffer.from(body);
    const id = this.nextId++;
    const job: ParseJob = { id, endpoint, contentType, bytes };
    return new Promise((resolve) => {
      thread.pending.set(id, (reply) => {
        this.queued -= size;
        if (!reply) return resolve({ ok: false, error: aigwError('internal_error', 'the request body could not be parsed') });
        if (!reply.ok) return resolve(reply);
        const back = Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength);
        resolve({ ok: true, value: offLoopRequest(reply.facts, back) });
      });
      thread.worker.postMessage(job, [bytes.buffer as ArrayBuffer]);
    });
  }

  private spawn(): Thread {
    const thread: Thread = { worker: new Worker(workerUrl()), pending: new Map() };
    const { worker, pending } = thread;
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      const done = pending.get(reply.id);
      pending.delete(reply.id);
      done?.(reply);
    });
    const fail = () => {
      if (this.thread === thread) this.thread = undefined;
      for (const done of pending.values()) done(undefined);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    return thread;
  }

  async stop(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.worker.terminate();
  }
}
