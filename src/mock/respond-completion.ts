/**
 * Writes one completion — streamed or not — at the requested pace, with flat memory whatever its length:
 * tokens are generated as they are written and backpressure is honoured. Faults and stream quirks are
 * applied here, and everything sent is counted in the mock's stats.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Controls, Fault } from './controls.js';
import type { Framing } from './framing.js';
import { timerDelay } from '../core/timer-delay.js';
import { CLIENT_STALL_MS, drained, sleepUnlessClosed } from './http.js';
import type { Answer } from './shapes.js';
import type { MockStats } from './stats.js';
import { TokenSource } from './text.js';

export interface CompletionPlan {
  answer: Answer;
  /** The dialect's bytes around the text (vLLM's, Anthropic's, Azure's). */
  framing: Framing;
  textState: number;
  stream: boolean;
  ttftMs: number;
  tokensPerSecond: number;
  tokensPerChunk: number;
  controls: Controls;
  fault: Fault | undefined;
  headers: Record<string, string>;
  /** How long the client may take none of the answer's bytes before its connection goes (http.ts drained). */
  stallMs: number;
}

/** Below this many tokens a non-streamed body is built in one piece (the common, small case). */
const SMALL_ANSWER_TOKENS = 4096;
/** Batch size for writes when pacing is off. */
const WRITE_BATCH_BYTES = 64 * 1024;
/** How long a reset waits after the last write, so the peer has read what came before it. */
const RESET_GRACE_MS = 20;
/** A stalled response is held this long at most. */
const STALL_CAP_MS = 10 * 60_000;

/** Waits (bounded) until the socket has handed its buffered bytes to the kernel. ('drain' only fires after a full buffer.) */
async function flushed(socket: Socket): Promise<void> {
  for (let i = 0; i < 500 && !socket.destroyed && socket.writableLength > 0; i++) await delay(2);
}

/** Writes one answer with backpressure, counting what it sends in the mock's stats (a tool call's answer too). */
export class Sender {
  tokens = 0;
  /** The mock cut the connection itself (an injected fault): its close is the fault's, not the client leaving. */
  cut = false;
  constructor(
    readonly res: ServerResponse,
    readonly stats: MockStats,
    /** How long a refused write waits for the client to read before the connection goes. */
    readonly stallMs = CLIENT_STALL_MS,
  ) {}
  get gone(): boolean {
    return this.res.destroyed;
  }
  async write(data: Buffer | string): Promise<boolean> {
    if (this.res.destroyed) return false;
    const n = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.stats.bytesSent += n;
    if (!this.res.write(data)) await drained(this.res, this.stallMs);
    return !this.res.destroyed;
  }
  countTokens(n: number): void {
    this.tokens += n;
    this.stats.completionTokens += n;
  }
}

/** Applies a mid-body fault once `tokens` reach its threshold (`errorEvent`: the dialect's error-after event); true when the response is over. */
export async function faultDue(fault: Fault | undefined, s: Sender, errorEvent: string): Promise<boolean> {
  if (!fault || !('tokens' in fault) || s.tokens < fault.tokens) return false;
  const socket = s.res.socket;
  s.stats.fault(fault.kind);
  if (fault.kind === 'error-after') {
    // The backend reports its failure in the stream, then ends it cleanly (as Anthropic and vLLM do).
    await s.write(errorEvent);
    s.res.end();
    return true;
  }
  if (fault.kind === 'stall-after') await sleepUnlessClosed(STALL_CAP_MS, s.res);
  else {
    // Let the bytes already written reach the peer first: an RST discards what it has not read yet.
    if (socket) await flushed(socket);
    await sleepUnlessClosed(RESET_GRACE_MS, s.res);
  }
  // A client that left during the stall (or the grace) did leave: only a cut of the mock's own is the fault's.
  if (!s.gone) s.cut = true;
  if (fault.kind === 'reset-after') socket?.resetAndDestroy();
  // A FIN, then the socket is let go once it is sent: a client that ignores the FIN holds nothing (the cut response
  // is never ended, so no keep-alive timeout would ever close it).
  else if (fault.kind === 'close-after' && socket) {
    socket.destroySoon();
    // destroySoon waits for the bytes queued to be taken: a client that reads none of them held the socket for good.
    const stalled = setTimeout(() => socket.destroy(), timerDelay(s.stallMs));
    socket.once('close', () => clearTimeout(stalled));
  } else socket?.destroy();
  return true;
}

/** Resolves with the completion tokens written (fewer than asked when a fault or the client cut it short). */
export async function respondCompletion(res: ServerResponse, plan: CompletionPlan, stats: MockStats): Promise<number> {
  const s = new Sender(res, stats, plan.stallMs);
  const started = performance.now();
  res.on('close', () => {
    // Counted as the client's abort only when the client left: a reset or close the mock injected is a fault, counted
    // under `faults` (it was both, so a profile's random resets read as clients leaving, at the fault's token).
    if (!res.writableFinished && !s.cut) {
      // A non-streamed answer is generated before it is sent: count the tokens produced by now.
      const elapsed = performance.now() - started - plan.ttftMs;
      const generated = plan.stream || plan.tokensPerSecond === 0 ? s.tokens : Math.floor((elapsed * plan.tokensPerSecond) / 1000);
      stats.abort({
        endpoint: plan.answer.endpoint,
        atToken: Math.max(0, Math.min(plan.answer.completionTokens, generated)),
        stream: plan.stream,
        ts: Date.now(),
      });
    }
  });
  if (plan.stream) await streamAnswer(s, plan);
  else await bodyAnswer(s, plan);
  // A response the mock cut (a reset, a close, a stall's end) is not completed: its socket is gone, but `res.destroyed`
  // waits for the socket's 'close', a tick later — so this ended it, on a dead socket, and counted it as completed.
  if (!s.cut && !res.destroyed && !res.writableEnded) {
    res.end();
    stats.completed++;
  }
  return s.tokens;
}

/** Tokens counted between two turns of the event loop while a large answer's length is computed. */
const COUNT_SLICE = 65_536;

/**
 * The byte length of an answer's n tokens, counted in slices with the event loop turning between them: a
 * 100-million-token answer takes seconds to count, and the other requests on this mock go on meanwhile.
 * Undefined when the client left.
 */
async function textLength(textState: number, n: number, s: Sender): Promise<number | undefined> {
  const counter = new TokenSource(textState);
  let bytes = 0;
  for (let done = 0; done < n; ) {
    const end = Math.min(n, done + COUNT_SLICE);
    for (; done < end; done++) bytes += counter.next().length;
    if (done < n) {
      await new Promise((r) => setImmediate(r));
      if (s.gone) return undefined;
    }
  }
  return bytes;
}

async function bodyAnswer(s: Sender, plan: CompletionPlan): Promise<void> {
  const { answer } = plan;
  const genMs = plan.tokensPerSecond > 0 ? (answer.completionTokens * 1000) / plan.tokensPerSecond : 0;
  await sleepUnlessClosed(plan.ttftMs + genMs, s.res);
  if (s.gone) return;
  const frame = plan.framing.body;
  const n = answer.completionTokens;
  const headers = { ...plan.headers, 'content-type': 'application/json' };
  if (n <= SMALL_ANSWER_TOKENS && !plan.fault) {
    const src = new TokenSource(plan.textState);
    const parts: Buffer[] = [Buffer.from(frame.before)];
    for (let i = 0; i < n; i++) parts.push(src.next());
    parts.push(Buffer.from(frame.after));
    const body = Buffer.concat(parts);
    s.res.writeHead(200, { ...headers, 'content-length': body.length });
    s.countTokens(n);
    s.stats.bytesSent += body.length;
    // Headers and body in one write: the small answer is the load-test hot path.
    s.res.end(body.toString('latin1'), 'latin1');
    s.stats.completed++;
    return;
  }
  // Large (or faulted) answers: count the length first so the client knows what to expect, then stream it.
  const before = Buffer.from(frame.before);
  const after = Buffer.from(frame.after);
  const textBytes = await textLength(plan.textState, n, s);
  if (textBytes === undefined) return;
  s.res.writeHead(200, { ...headers, 'content-length': before.length + textBytes + after.length });
  if (plan.fault && 'tokens' in plan.fault && plan.fault.tokens === 0) {
    // Headers, then the fault before any body byte.
    s.res.flushHeaders();
    await faultDue(plan.fault, s, plan.framing.error);
    return;
  }
  if (!(await s.write(before))) return;
  const src = new TokenSource(plan.textState);
  const stopAt = plan.fault && 'tokens' in plan.fault ? plan.fault.tokens : Infinity;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let batchTokens = 0;
  for (let i = 0; i < n; i++) {
    const t = src.next();
    batch.push(t);
    batchBytes += t.length;
    batchTokens++;
    if (batchBytes >= WRITE_BATCH_BYTES || i === n - 1 || s.tokens + batchTokens >= stopAt) {
      s.countTokens(batchTokens);
      if (!(await s.write(Buffer.concat(batch, batchBytes)))) return;
      batch = [];
      batchBytes = batchTokens = 0;
      if (await faultDue(plan.fault, s, plan.framing.error)) return;
    }
  }
  await s.write(after);
}

/** Splits an event inside its first multibyte character, for the `split-utf8` quirk. */
function splitPoint(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) if (buf[i]! >= 0xc0) return i + 1;
  return buf.length >> 1;
}

async function streamAnswer(s: Sender, plan: CompletionPlan): Promise<void> {
  const { answer, controls, framing } = plan;
  s.res.writeHead(200, {
    ...plan.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  s.res.flushHeaders();
  const start = performance.now();
  await sleepUnlessClosed(plan.ttftMs, s.res);
  if (s.gone) return;
  const ping = controls.quirks.has('ping');
  const splitUtf8 = controls.quirks.has('split-utf8');
  const paced = plan.tokensPerSecond > 0;
  // One event per write when pacing or splitting; otherwise batch events for throughput.
  const batchLimit = paced || splitUtf8 || ping ? 0 : WRITE_BATCH_BYTES;

  // The ping goes before every event but the first: written after each, it followed the last one too ([DONE],
  // message_stop), where the contract has pings between events and a client reading to the end marker finds none.
  let pingNext = false;
  const emit = async (event: Buffer | string): Promise<boolean> => {
    if (pingNext && !(await s.write(framing.ping))) return false;
    pingNext = ping;
    if (splitUtf8) {
      const buf = typeof event === 'string' ? Buffer.from(event) : event;
      const at = splitPoint(buf);
      if (!(await s.write(buf.subarray(0, at)))) return false;
      await delay(1);
      if (!(await s.write(buf.subarray(at)))) return false;
    } else if (!(await s.write(event))) return false;
    return true;
  };

  // error-after:0 is an engine failing at its first step: vLLM writes its role chunk with the first token, so the
  // error is the stream's first event (a gateway can still fail over then: nothing has reached its client).
  if (plan.fault?.kind === 'error-after' && plan.fault.tokens === 0 && (await faultDue(plan.fault, s, framing.error))) return;
  for (const event of framing.head) if (!(await emit(event))) return;
  const frame = framing.chunk;
  const before = Buffer.from(frame.before);
  const after = Buffer.from(frame.after);
  const lastAfter = Buffer.from(frame.lastAfter);
  if (await faultDue(plan.fault, s, framing.error)) return;
  const src = new TokenSource(plan.textState);
  const n = answer.completionTokens;
  const perChunk = plan.tokensPerChunk;
  const stopAt = plan.fault && 'tokens' in plan.fault ? plan.fault.tokens : Infinity;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingTokens = 0;
  const flush = async (): Promise<boolean> => {
    if (!pending.length) return true;
    s.countTokens(pendingTokens);
    const ok = await emit(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = pendingTokens = 0;
    return ok;
  };
  for (let produced = 0; produced < n; ) {
    // A chunk never straddles a fault's threshold, so `reset-after:N` cuts after exactly N tokens.
    const k = Math.min(perChunk, n - produced, stopAt - s.tokens - pendingTokens);
    const parts: Buffer[] = [before];
    for (let j = 0; j < k; j++) parts.push(src.next());
    produced += k;
    parts.push(produced === n ? lastAfter : after);
    const event = Buffer.concat(parts);
    pending.push(event);
    pendingBytes += event.length;
    pendingTokens += k;
    const faultNow = s.tokens + pendingTokens >= stopAt;
    if (pendingBytes >= batchLimit || produced === n || faultNow) {
      if (!(await flush())) return;
      if (await faultDue(plan.fault, s, framing.error)) return;
    }
    if (paced && produced < n) {
      const due = start + plan.ttftMs + (produced * 1000) / plan.tokensPerSecond;
      const wait = due - performance.now();
      if (wait >= 1) await sleepUnlessClosed(wait, s.res);
      if (s.gone) return;
    }
  }
  if (await faultDue(plan.fault, s, framing.error)) return;
  for (const event of framing.tail) if (!(await emit(event))) return;
  if (!controls.quirks.has('no-done')) await emit(framing.done);
}
