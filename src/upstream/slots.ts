/**
 * Connections to one backend as counted slots, with a bounded wait for one — Envoy's pending-request
 * circuit breaker. A request that finds every connection busy waits in a FIFO queue of at most `queue`
 * requests for at most `queueTimeoutMs`; past either bound it is refused at once (503, retryable), so one
 * tenant holding every connection with long streams cannot stall everyone else's requests to that backend
 * until their first-byte timeout. The common case — a free slot — is synchronous and allocates nothing.
 */
import { timerDelay } from '../core/timer-delay.js';

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

  /**
   * New bounds (a reload). The slots outlive the pool a reload replaces, so the connections the old pool still
   * has in use keep counting: a larger count admits waiters now, a smaller one admits nobody until enough end.
   */
  update(limits: SlotLimits): void {
    this.limits = limits;
    while (this.busy < limits.connections && this.waiting.length > 0) {
      this.busy++;
      this.handTo(this.waiting.shift()!);
    }
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
      w.timer = setTimeout(() => this.leave(w, 'queue_timeout'), timerDelay(this.limits.queueTimeoutMs));
      this.waiting.push(w);
      cancel?.(() => this.leave(w, 'cancelled'));
    });
  }

  /** A slot is free again: the longest waiter gets it (unless a reload lowered the count below those in use). */
  release(): void {
    const next = this.busy <= this.limits.connections ? this.waiting.shift() : undefined;
    if (!next) {
      this.busy--;
      return;
    }
    this.handTo(next);
  }

  /** `w` takes a slot already counted as busy. */
  private handTo(w: Waiter): void {
    clearTimeout(w.timer);
    w.resolve(performance.now() - w.since);
  }

  private leave(w: Waiter, why: SlotRefusal): void {
    const i = this.waiting.indexOf(w);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    clearTimeout(w.timer);
    w.resolve(why);
  }
}
