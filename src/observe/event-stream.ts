/**
 * `GET /aigw/events`: the bus as server-sent events, each with an id so a client can resume with
 * Last-Event-ID. A subscriber that does not read never slows the gateway: its queue is bounded, and what
 * overflows is dropped and counted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBus } from '../events/bus.js';
import type { GatewayEvent } from '../events/types.js';
import { encodeSseEvent } from '../openai/sse.js';

const HISTORY = 1024;
/** Bytes a subscriber may have unsent before its events are dropped. */
const MAX_PENDING_BYTES = 1024 * 1024;
const KEEPALIVE_MS = 15_000;

export class EventStream {
  private nextId = 1;
  /** The last HISTORY events, as objects: serialised only when someone reads them. */
  private readonly history: (GatewayEvent | undefined)[] = new Array(HISTORY);
  private readonly clients = new Set<ServerResponse>();
  dropped = 0;
  /** Unsent bytes (beyond the kernel's socket buffers) a subscriber may have before its events are dropped. */
  maxPendingBytes = MAX_PENDING_BYTES;

  constructor(
    bus: EventBus,
    private readonly onDrop: () => void = () => {},
  ) {
    bus.subscribe((e) => this.publish(e));
  }

  private publish(e: GatewayEvent): void {
    const id = this.nextId++;
    this.history[id % HISTORY] = e;
    if (this.clients.size === 0) return;
    const frame = encodeSseEvent(JSON.stringify(e), e.type, id);
    for (const res of this.clients) {
      if (res.writableLength > this.maxPendingBytes) {
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
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.write(': aigw events\n\n');
    const url = req.url ?? '/';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const last = Number(req.headers['last-event-id'] ?? query.get('lastEventId') ?? Number.NaN);
    if (Number.isFinite(last)) {
      // The replay obeys the same per-subscriber cap as live events: what does not fit is dropped, counted.
      for (let id = Math.max(last + 1, this.nextId - HISTORY); id < this.nextId; id++) {
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
    this.clients.add(res);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('close', () => {
      clearInterval(keepalive);
      this.clients.delete(res);
    });
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
