/**
 * The TUI's only link to a gateway: `/aigw/stats` polled and `/aigw/events` streamed, over fetch, with
 * reconnection (the gateway may restart). Nothing else of the gateway is imported.
 */
import type { GatewayEvent } from '../events/types.js';
import { SseDecoder } from '../openai/sse.js';
import { asEvent, type StatsView } from './model.js';

export interface FeedHandlers {
  stats(s: StatsView): void;
  event(id: number, e: GatewayEvent): void;
  status(connected: boolean, error?: string): void;
}

export interface AdminClientOptions {
  admin: string;
  key?: string | undefined;
  intervalMs?: number;
  fetch?: typeof fetch;
}

export class AdminClient {
  private stopped = false;
  private lastEventId = 0;
  private readonly abort = new AbortController();
  private readonly f: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly o: AdminClientOptions,
    private readonly on: FeedHandlers,
  ) {
    this.f = o.fetch ?? fetch;
    this.headers = o.key ? { authorization: `Bearer ${o.key}` } : {};
  }

  start(): void {
    void this.pollLoop();
    void this.eventLoop();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  async reset(): Promise<void> {
    await this.f(`${this.o.admin}/aigw/reset`, { method: 'POST', headers: this.headers, signal: this.abort.signal }).catch(() => {});
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        const r = await this.f(`${this.o.admin}/aigw/stats`, { headers: this.headers, signal: this.abort.signal });
        if (r.status === 401) this.on.status(false, 'the admin listener wants a key (--key or AIGW_ADMIN_KEY)');
        else if (!r.ok) this.on.status(false, `admin answered HTTP ${r.status}`);
        else this.on.stats((await r.json()) as StatsView);
      } catch (e) {
        if (this.stopped) return;
        this.on.status(
          false,
          `cannot reach ${this.o.admin}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}; retrying`,
        );
      }
      await this.sleep(this.o.intervalMs ?? 250);
    }
  }

  private async eventLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        const r = await this.f(`${this.o.admin}/aigw/events`, {
          // From 0 on first connect: the gateway replays its recent history, so a fresh `top` shows what just happened.
          headers: { ...this.headers, 'last-event-id': String(this.lastEventId) },
          signal: this.abort.signal,
        });
        if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
        const decoder = new SseDecoder();
        const sink = {
          onEvent: (ev: { id: string | undefined; data: string | undefined }) => {
            if (!ev.data) return;
            const id = Number(ev.id);
            if (Number.isFinite(id)) this.lastEventId = id;
            let parsed: GatewayEvent | undefined;
            try {
              parsed = asEvent(JSON.parse(ev.data));
            } catch {
              /* a frame that is not JSON is not ours to show */
            }
            if (parsed) this.on.event(id, parsed);
          },
        };
        for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) decoder.push(Buffer.from(chunk), sink);
      } catch {
        if (this.stopped) return;
      }
      await this.sleep(1000);
    }
  }
}
