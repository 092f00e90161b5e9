/**
 * `GET /aigw/events`: the bus as server-sent events, each with an id so a client can resume with
 * Last-Event-ID. A subscriber that does not read never slows the gateway: its queue is bounded, and what
 * overflows is dropped and counted.
 *
 * The replay history is long only while it can be needed: while someone reads the stream and for a grace
 * period after the last one leaves (a reconnect loses nothing); otherwise it is a screenful for a fresh
 * `aigw top`. Kept events are objects that outlive several young-generation collections, so each one is
 * copied, promoted and later swept: at 10k requests/s 1,024 of them cost ~1.7 µs of GC per request
 * (`--trace-gc`, aigw + tenant under wrk), about a twentieth of what aigw adds to a bare proxy.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aigwError } from '../core/errors.js';
import type { EventBus } from '../events/bus.js';
import type { GatewayEvent } from '../events/types.js';
import { encodeSseEvent } from '../openai/sse.js';
import { sendAdminError } from './admin-server.js';

/** Events kept for a Last-Event-ID resume while someone reads the stream, and for a grace after. */
export const HISTORY = 1024;
/** Events kept when nobody has read the stream for a while: more than `aigw top` shows (200 lines). */
export const IDLE_HISTORY = 256;
const RESUME_GRACE_MS = 60_000;
/** Bytes a subscriber may have unsent before its events are dropped. */
const MAX_PENDING_BYTES = 1024 * 1024;
const KEEPALIVE_MS = 15_000;
/**
 * How long a subscriber's unsent bytes may stay past the cap before it is ended. Past the cap it loses every event
 * anyway; one that stopped reading (or a HEAD, whose writes Node discards) otherwise kept its place, its connection and
 * its megabyte for good, and 64 of them kept `aigw top` out (503) until the gateway restarted. A reader that was only
 * behind reconnects and resumes with Last-Event-ID.
 */
const MAX_STALL_MS = 60_000;
/**
 * Subscribers at once: each is a write per event, so a thousand readers would turn every request into a
 * thousand writes. More than any set of `aigw top` windows and dashboards needs; past it, 503.
 */
export const MAX_SUBSCRIBERS = 64;

const STREAM_HEAD = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};

interface Subscriber {
  /** The admin key it was let in under (undefined: none was required). */
  key: string | undefined;
  keepalive: NodeJS.Timeout;
  /** Since when (performance.now) its unsent bytes have been past the cap; undefined while they are not. */
  behindSince: number | undefined;
}

/**
 * Where a process's event ids begin: microseconds since the epoch when its stream was made (~1.8e15: 16 digits, exact
 * in a double). Ids that began at 1 in every process made a resume after a restart ambiguous: `aigw top` reconnects with
 * the last id the old process gave it, and once the new one had given that many events the id looked like its own — the
 * subscriber was sent only what came after it, never the new process's first events. A process gives fewer ids than
 * microseconds pass, so while the wall clock does not step back between two processes (an NTP step, a VM restored),
 * every id the earlier gave is below every id the later gives.
 */
export function firstEventId(): number {
  return Date.now() * 1000;
}

export class EventStream {
  private nextId: number;
  /** The last HISTORY events, as objects: serialised only when someone reads them. */
  private readonly history: (GatewayEvent | undefined)[] = new Array(HISTORY);
  /** How many of the latest events are kept: HISTORY or IDLE_HISTORY. */
  private kept = IDLE_HISTORY;
  private shrinkTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Each subscriber: the key it was let in under, its keepalive, and whether it has been keeping up. */
  private readonly clients = new Map<ServerResponse, Subscriber>();
  dropped = 0;
  /** Unsent bytes (beyond the kernel's socket buffers) a subscriber may have before its events are dropped. */
  maxPendingBytes = MAX_PENDING_BYTES;
  /** How long the full history is kept after the last subscriber leaves. */
  resumeGraceMs = RESUME_GRACE_MS;
  /** How long a subscriber may stay past `maxPendingBytes` before it is ended. */
  maxStallMs = MAX_STALL_MS;

  constructor(
    bus: EventBus,
    private readonly onDrop: () => void = () => {},
    /** The admin key now: a stream let in under another (a key rotated after a leak) is ended, not fed on. */
    private readonly adminKey: () => string | undefined = () => undefined,
    private readonly firstId = firstEventId(),
  ) {
    this.nextId = firstId;
    bus.subscribe((e) => this.publish(e));
  }

  private publish(e: GatewayEvent): void {
    const id = this.nextId++;
    this.history[id % HISTORY] = e;
    // The event that just fell out of what is kept is let go now, not when its slot comes round again.
    if (this.kept < HISTORY && id - this.kept >= this.firstId) this.history[(id - this.kept) % HISTORY] = undefined;
    if (this.clients.size === 0) return;
    const frame = encodeSseEvent(JSON.stringify(e), e.type, id);
    const key = this.adminKey();
    for (const [res, sub] of this.clients) {
      if (sub.key !== key) {
        this.endStale(res);
        continue;
      }
      if (this.behind(res, sub)) {
        this.dropped++;
        this.onDrop();
        continue;
      }
      res.write(frame);
    }
  }

  get subscribers(): number {
    return this.clients.size;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    // Node discards what is written to a HEAD's response and sends its head only at its end: a HEAD subscribed for
    // nothing, never answered, holding a subscriber's place. Its answer is the stream's head alone.
    if (req.method === 'HEAD') return void res.writeHead(200, STREAM_HEAD).end();
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET, HEAD');
      return sendAdminError(res, aigwError('method_not_allowed', `${req.method} is not allowed here; use GET`));
    }
    // Pipelined behind another response on its connection (another event stream, which never ends): it would
    // hold a subscriber's place for nothing.
    if (!res.socket) return sendAdminError(res, aigwError('invalid_request', 'one event stream per connection'));
    if (this.clients.size >= MAX_SUBSCRIBERS) {
      return sendAdminError(
        res,
        aigwError('overloaded', `${MAX_SUBSCRIBERS} subscribers read the events already; retry later`, { headers: { 'retry-after': '5' } }),
      );
    }
    res.writeHead(200, STREAM_HEAD);
    res.write(': aigw events\n\n');
    const url = req.url ?? '/';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const last = Number(req.headers['last-event-id'] ?? query.get('lastEventId') ?? Number.NaN);
    if (Number.isFinite(last)) {
      // An id this process has not given is one an earlier process gave (firstEventId: all below this one's) or none:
      // everything kept is after it.
      const after = last >= this.firstId && last < this.nextId ? last : 0;
      // The replay obeys the same per-subscriber cap as live events: what does not fit is dropped, counted.
      for (let id = Math.max(after + 1, this.nextId - this.kept, this.firstId); id < this.nextId; id++) {
        const e = this.history[id % HISTORY];
        if (!e) continue;
        if (res.writableLength > this.maxPendingBytes) {
          this.dropped++;
          this.onDrop();
          continue;
        }
        res.write(encodeSseEvent(JSON.stringify(e), e.type, id));
      }
    }
    // The server let it in under the key it holds now.
    const admittedUnder = this.adminKey();
    const sub: Subscriber = {
      key: admittedUnder,
      behindSince: undefined,
      // A quiet gateway publishes nothing: a subscriber that stopped reading is found stalled here too.
      keepalive: setInterval(() => {
        if (this.adminKey() !== admittedUnder) this.endStale(res);
        else if (!this.behind(res, sub)) res.write(': keepalive\n\n');
      }, KEEPALIVE_MS),
    };
    this.clients.set(res, sub);
    this.kept = HISTORY;
    clearTimeout(this.shrinkTimer);
    // Never queued behind another response (refused above): its own 'close' ends it.
    res.on('close', () => {
      clearInterval(sub.keepalive);
      this.clients.delete(res);
      if (this.clients.size === 0) this.shrinkLater();
    });
  }

  /**
   * Whether `res` has more unsent than a subscriber may (what is written to it now is dropped). One that has stayed so
   * for `maxStallMs` is ended — destroyed: an end would wait behind the bytes it does not read.
   */
  private behind(res: ServerResponse, sub: Subscriber): boolean {
    if (res.writableLength <= this.maxPendingBytes) {
      sub.behindSince = undefined;
      return false;
    }
    const now = performance.now();
    sub.behindSince ??= now;
    if (now - sub.behindSince >= this.maxStallMs) {
      clearInterval(sub.keepalive);
      this.clients.delete(res);
      res.destroy();
    }
    return true;
  }

  /**
   * A subscriber let in under a key that is no longer the admin key: its stream ends (a client reconnects with the new).
   * Its keepalive stops with it: a client that does not read keeps an ended response open (its 'close' never comes),
   * and a keepalive written to it once the key was the old one again (a reload back) was a write after end — an
   * 'error' on the response that nothing listens for, which took the process down.
   *
   * One with bytes still waiting is destroyed, not ended: an end waits behind them, and once it is no subscriber
   * nothing else (no stall check, no socket timeout on a request already read) ever closes it — a client that held a
   * leaked key, opened streams and stopped reading kept, after the rotation meant to shut it out, each connection and
   * its megabyte of unsent events for good. What was queued for it was let in under the key now revoked.
   */
  private endStale(res: ServerResponse): void {
    const sub = this.clients.get(res);
    if (sub) clearInterval(sub.keepalive);
    this.clients.delete(res);
    res.end();
    if (res.writableLength > 0) res.destroy();
  }

  private shrinkLater(): void {
    if (this.closed) return;
    clearTimeout(this.shrinkTimer);
    this.shrinkTimer = setTimeout(() => {
      if (this.clients.size > 0) return;
      this.kept = IDLE_HISTORY;
      for (let id = Math.max(this.firstId, this.nextId - HISTORY); id < this.nextId - IDLE_HISTORY; id++)
        this.history[id % HISTORY] = undefined;
    }, this.resumeGraceMs);
    this.shrinkTimer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.shrinkTimer);
    for (const [res, { keepalive }] of this.clients) {
      clearInterval(keepalive);
      res.end();
    }
    this.clients.clear();
  }
}
