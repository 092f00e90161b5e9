/**
 * The TUI's only link to a gateway: `/aigw/stats` polled and `/aigw/events` streamed, over fetch, with
 * reconnection (the gateway may restart). Nothing else of the gateway is imported.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { GatewayEvent } from '../events/types.js';
import type { SseEvent } from '../openai/sse.js';
import { keyProblem, shownMessage, shownUrl } from './admin-target.js';
import { BoundedEventReader } from './event-frames.js';
import { asEvent, MAX_EVENT_BYTES, type StatsView } from './model.js';
import { statsFrom } from './wire.js';

/** A snapshot larger than this, or slower than STATS_TIMEOUT_MS, is not a snapshot (the view says so). */
const MAX_STATS_BYTES = 8 * 1024 * 1024;
const STATS_TIMEOUT_MS = 3000;
/** The pause after a snapshot is at least this many times as long as reading it took. */
const BUSY_SHARE = 4;
/** An event larger than MAX_EVENT_BYTES is skipped unread; past MAX_SKIP_BYTES without its end the stream is dropped and resumed. */
const MAX_SKIP_BYTES = 16 * MAX_EVENT_BYTES;
/**
 * The gateway writes a keepalive every 15 s: an event stream silent for three of them is stalled, and is resumed on a
 * fresh connection. Nothing else ended one — fetch waits 300 s for a head or a byte — so a dead path (a laptop's
 * sleep, a NAT or port-forward that dropped it, a proxy holding a connection its upstream left) froze the log for
 * five minutes while the polled figures, on fresh connections, said connected.
 */
const EVENTS_IDLE_MS = 45_000;

/** A body read whole up to `max` bytes; undefined past it (the read is cancelled). */
async function boundedText(body: ReadableStream<Uint8Array> | null, max: number): Promise<string | undefined> {
  if (!body) return '';
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (bytes > max) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface FeedHandlers {
  stats(s: StatsView): void;
  event(id: number, e: GatewayEvent): void;
  status(connected: boolean, error?: string): void;
  /** An event over MAX_EVENT_BYTES went by unshown (the view counts them: skipped silently, it looked like none happened). */
  skipped?(): void;
  /**
   * Why the event stream is refused (undefined once one is open). The snapshots come on their own connections and say
   * connected all the while: a refused stream was retried in silence, and the log said "nothing notable yet" beside
   * truncations and refusals that only events show.
   */
  events?(problem: string | undefined): void;
}

export interface AdminClientOptions {
  admin: string;
  /**
   * The admin key, or where to read it at each request: `serve --tui` reads its profile's, which a reload may
   * rotate — a key read once at start was refused from the rotation on, and the TUI stayed locked out.
   */
  key?: string | (() => string | undefined) | undefined;
  intervalMs?: number;
  /** How long the event stream may send nothing (no event, no keepalive) before it is resumed on a new connection. */
  eventsIdleMs?: number;
  fetch?: typeof fetch;
}

export class AdminClient {
  private stopped = false;
  private lastEventId = 0;
  /** Ends the pauses between requests on stop. */
  private readonly abort = new AbortController();
  /**
   * Each request's own controller, while it runs: stop() aborts them. Not AbortSignal.any over `abort` and a timer's
   * signal: on Node 20 a signal keeps every composite made from it (a weak reference each, never pruned), and one was
   * made per poll and per reconnect — about 50 bytes a poll, four polls a second, for as long as `top` stayed open.
   */
  private readonly running = new Set<AbortController>();
  private readonly f: typeof fetch;

  constructor(
    private readonly o: AdminClientOptions,
    private readonly on: FeedHandlers,
  ) {
    this.f = o.fetch ?? fetch;
  }

  /** The key as it is now. */
  private key(): string | undefined {
    return typeof this.o.key === 'function' ? this.o.key() : this.o.key;
  }

  /** Why the key now cannot be sent, or undefined. */
  private keyProblem(): string | undefined {
    const key = this.key();
    return key ? keyProblem(key) : undefined;
  }

  /**
   * What a 401 is said as: `none` when no key was given. A key given and refused was said as none given ("wants a
   * key"), and an operator with a mistyped or stale key went looking for why it was not passed.
   */
  private keyRefusal(none: string): string {
    if (!this.key()) return none;
    return this.keyProblem() ?? 'the admin listener refused the key given (--key or AIGW_ADMIN_KEY): it is not its admin.key';
  }

  /** A key fetch cannot send is not sent: its TypeError would quote it into the status line. */
  private headers(): Record<string, string> {
    const key = this.key();
    return key && !keyProblem(key) ? { authorization: `Bearer ${key}` } : {};
  }

  start(): void {
    void this.pollLoop();
    void this.eventLoop();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const c of this.running) c.abort();
  }

  /** A controller for one request: aborted by stop() (or at once, once stopped) and by the caller's timer; `done` lets it go. */
  private request(): { controller: AbortController; done: () => void } {
    const controller = new AbortController();
    if (this.stopped) controller.abort();
    else this.running.add(controller);
    return { controller, done: () => this.running.delete(controller) };
  }

  async reset(): Promise<void> {
    // Bounded as a poll is (and by a timer of ours, as there): against a listener that never answered, each press of
    // `r` left its request and connection open until `top` quit.
    const { controller, done } = this.request();
    const timer = setTimeout(() => controller.abort(), STATS_TIMEOUT_MS);
    await this.f(`${this.o.admin}/aigw/reset`, { method: 'POST', headers: this.headers(), signal: controller.signal })
      .then(unread)
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        done();
      });
  }

  /** Ends early on stop: a pending pause would keep a quitting process alive. */
  private sleep(ms: number): Promise<void> {
    return delay(ms, undefined, { signal: this.abort.signal }).catch(() => {});
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopped) {
      let busyMs = 0;
      // A listener that stops answering must not leave a frozen view marked connected. A timer of ours, not
      // AbortSignal.timeout: inside AbortSignal.any that signal is held weakly, and a garbage collection before it
      // fired left the poll waiting for good, the last snapshot shown as live (nodejs/node#57736).
      const { controller, done } = this.request();
      const timer = setTimeout(
        () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        STATS_TIMEOUT_MS,
      );
      try {
        const r = await this.f(`${this.o.admin}/aigw/stats`, { headers: this.headers(), signal: controller.signal });
        if (r.status === 401) {
          await unread(r);
          this.on.status(false, this.keyRefusal('the admin listener wants a key (--key or AIGW_ADMIN_KEY)'));
        } else if (!r.ok) {
          // The listener's reason, when it gives one in its shape: a bare 403 left the operator guessing, where the gateway
          // says what to do (a Host that is a name on loopback: use an address or localhost, or set admin.key).
          const why = await refusalMessage(r);
          this.on.status(false, shownMessage(`admin answered HTTP ${r.status}${why ? `: ${why}` : ''}`, this.key()));
        } else {
          const began = performance.now();
          this.snapshot(await boundedText(r.body, MAX_STATS_BYTES));
          busyMs = performance.now() - began;
        }
      } catch (e) {
        if (this.stopped) return;
        // fetch's messages quote the URL (userinfo and all) or a header value: shown only without secrets.
        const why = (e as { cause?: { code?: string } }).cause?.code ?? String((e as Error)?.message);
        this.on.status(false, shownMessage(`cannot reach ${shownUrl(this.o.admin)}: ${why}; retrying`, this.key()));
      } finally {
        clearTimeout(timer);
        done();
      }
      // A snapshot of thousands of models takes ~100 ms or more to read and check: polled every 250 ms it
      // kept the process busy, and a key pressed waited. At most a fifth of the time goes to snapshots.
      await this.sleep(Math.max(this.o.intervalMs ?? 250, BUSY_SHARE * busyMs));
    }
  }

  private snapshot(text: string | undefined): void {
    if (text === undefined) return this.on.status(false, `the admin listener sent a snapshot over ${MAX_STATS_BYTES / 1048576} MiB`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.on.status(false, 'the admin listener sent a snapshot that is not JSON');
    }
    const r = statsFrom(json);
    if (r.ok) this.on.stats(r.stats as StatsView);
    else this.on.status(false, r.problem);
  }

  private async eventLoop(): Promise<void> {
    while (!this.stopped) {
      // Ours, and held by its timer (see pollLoop).
      const { controller: stalled, done } = this.request();
      const watchdog = setTimeout(() => stalled.abort(new Error('a stalled event stream')), this.o.eventsIdleMs ?? EVENTS_IDLE_MS);
      try {
        const r = await this.f(`${this.o.admin}/aigw/events`, {
          // From 0 on first connect: the gateway replays its recent history, so a fresh `top` shows what just happened.
          headers: { ...this.headers(), 'last-event-id': String(this.lastEventId) },
          signal: stalled.signal,
        });
        if (!r.ok || !r.body) {
          await unread(r);
          this.on.events?.(this.streamRefusal(r.status));
          throw new Error(`HTTP ${r.status}`);
        }
        this.on.events?.(undefined);
        const reader = new BoundedEventReader(MAX_EVENT_BYTES, MAX_SKIP_BYTES, {
          event: (ev) => this.take(ev),
          skipped: (id) => {
            this.resumeAfter(id);
            this.on.skipped?.();
          },
        });
        for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
          watchdog.refresh();
          if (reader.push(Buffer.from(chunk))) continue;
          // A frame that never ends: dropped, and resumed after it when its id was read.
          this.resumeAfter(reader.skippingId);
          this.on.skipped?.();
          throw new Error('an event that never ends');
        }
      } catch {
        if (this.stopped) return;
      } finally {
        clearTimeout(watchdog);
        done();
      }
      await this.sleep(1000);
    }
  }

  /** What a refusal of the event stream is said as (the gateway's 503: its MAX_SUBSCRIBERS readers are there already). */
  private streamRefusal(status: number): string {
    if (status === 401) return this.keyRefusal('the admin listener wants a key for its events (--key or AIGW_ADMIN_KEY)');
    if (status === 503) return 'the admin listener has all the event readers it takes (HTTP 503); retrying';
    return `the admin listener answered HTTP ${status} for its events; retrying`;
  }

  private take(ev: SseEvent): void {
    if (!ev.data) return;
    const id = eventId(ev.id);
    if (id !== undefined) this.lastEventId = id;
    let parsed: GatewayEvent | undefined;
    try {
      parsed = asEvent(JSON.parse(ev.data));
    } catch {
      /* a frame that is not JSON is not ours to show */
    }
    if (parsed) this.on.event(id ?? Number.NaN, parsed);
  }

  /** An event too large to show still moves the resume point: a reconnect must not be sent it again. */
  private resumeAfter(id: string | undefined): void {
    const n = eventId(id);
    if (n !== undefined) this.lastEventId = n;
  }
}

/** The most of a refusal's body read for its message (the gateway's are a few hundred bytes). */
const MAX_REFUSAL_BYTES = 4096;

/**
 * The `error.message` of a JSON refusal (the gateway's error shape), from at most MAX_REFUSAL_BYTES of its body, read
 * within the request's own deadline; the rest is let go. Another body is not read (a proxy's page says nothing of ours).
 */
async function refusalMessage(r: Response): Promise<string | undefined> {
  if (!r.body || !/^application\/json\b/i.test(r.headers.get('content-type') ?? '')) return void (await unread(r));
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes <= MAX_REFUSAL_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.length;
    }
  } catch {
    return undefined;
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (bytes > MAX_REFUSAL_BYTES) return undefined;
  try {
    const message = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A response whose body is not read, let go: its connection is closed rather than left waiting for a reader. A body
 * that never ends (a refusal trickled out by a proxy or a hostile listener) kept it open until a garbage collection
 * collected the response — one connection more each poll, each reconnect of the event stream and each reset.
 */
async function unread(r: Response): Promise<void> {
  await r.body?.cancel().catch(() => {});
}

/**
 * An SSE id as the gateway writes it (a decimal integer: 16 digits, from the microseconds since the epoch at its start,
 * observe/event-stream.ts), or undefined when it is none a double holds exactly.
 */
export function eventId(id: string | undefined): number | undefined {
  if (id === undefined || !/^\d{1,16}$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}
