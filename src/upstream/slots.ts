/**
 * Connections to one backend as counted slots, with a bounded wait for one — Envoy's pending-request
 * circuit breaker. A request that finds every connection busy waits in a FIFO queue of at most `queue`
 * requests for at most `queueTimeoutMs`; past either bound it is refused at once (503, retryable), so one
 * tenant holding every connection with long streams cannot stall everyone else's requests to that backend
 * until their first-byte timeout. The common case — a free slot — is synchronous and allocates nothing.
 */

export interface SlotLimits {
  connections: number;
  queue: number;
  queueTimeoutMs: number;
}

export type SlotRefusal = 'queue_full' | 'queue_timeout' | 'cancelled';

interface Waiter {
  readonly since: number;
  resolve(r: number | SlotRefusal): void;
  timer: NodeJS.Timeout | undefined;
}

export class ConnectionSlots {
  private busy = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private limits: SlotLimits) {}

  /** New queue bounds (a reload); the connection count itself only changes with a new pool. */
  update(limits: SlotLimits): void {
    this.limits = limits;
  }

  get inUse(): number {
    return this.busy;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * A slot: 0 at once when one is free, else a promise of the ms waited (or why not). `cancel` receives a
   * function that withdraws the wait (the client left).
   */
  acquire(cancel?: (withdraw: () => void) => void): number | Promise<number | SlotRefusal> {
    if (this.busy < this.limits.connections && this.waiting.length === 0) {
      this.busy++;
      return 0;
    }
    if (this.waiting.length >= this.limits.queue) return Promise.resolve('queue_full');
    return new Promise((resolve) => {
      const w: Waiter = { since: performance.now(), resolve, timer: undefined };
      w.timer = setTimeout(() => this.leave(w, 'queue_timeout'), this.limits.queueTimeoutMs);
      this.waiting.push(w);
      cancel?.(() => this.leave(w, 'cancelled'));
    });
  }

  /** A slot is free again: the longest waiter gets it. */
  release(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.busy--;
      return;
    }
    clearTimeout(next.timer);
    next.resolve(performance.now() - next.since);
  }

  private leave(w: Waiter, why: SlotRefusal): void {
    const i = this.waiting.indexOf(w);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    clearTimeout(w.timer);
    w.resolve(why);
  }
}
