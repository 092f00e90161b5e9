/**
 * Connections to one backend as counted slots, with a bounded wait for one — Envoy's pending-request
 * circuit breaker. A request that finds every connection busy waits in a queue of at most `queue`
 * requests for at most `queueTimeoutMs`; past either bound it is refused at once (503, retryable), so one
 * tenant holding every connection with long streams cannot stall everyone else's requests to that backend
 * until their first-byte timeout. The common case — a free slot — is synchronous and allocates nothing.
 *
 * The queue is one FIFO per key (a tenant), served in turn, and at its bound a key with fewer waiting takes the
 * place of the newest of the key with the most. A single FIFO let one tenant, within its own limits, fill the
 * queue: every other tenant's request to the backend was refused at once (503 queue_full), or, short of the bound,
 * waited behind that tenant's whole backlog — its queueTimeout, then 503 — while the tenant's own were served.
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
  readonly key: string;
  resolve(r: number | SlotRefusal): void;
  timer: NodeJS.Timeout | undefined;
}

export class ConnectionSlots {
  private busy = 0;
  /** Waiters by key; a Map keeps the keys in turn (a key served goes last). */
  private readonly turns = new Map<string, Waiter[]>();
  /** Waiters in all keys' queues: what `queue` bounds. */
  private count = 0;
  /** The key handed a slot last: another key's waiter goes first. */
  private lastKey: string | undefined;

  constructor(private limits: SlotLimits) {}

  /**
   * New bounds (a reload). The slots outlive the pool a reload replaces, so the connections the old pool still
   * has in use keep counting: a larger count admits waiters now, a smaller one admits nobody until enough end.
   */
  update(limits: SlotLimits): void {
    this.limits = limits;
    while (this.busy < limits.connections && this.count > 0) {
      this.busy++;
      this.handTo(this.next()!);
    }
  }

  get inUse(): number {
    return this.busy;
  }

  get queued(): number {
    return this.count;
  }

  /**
   * A slot: 0 at once when one is free, else a promise of the ms waited (or why not). `cancel` receives a
   * function that withdraws the wait (the client left). `key`: whose request (a tenant), for the turns.
   */
  acquire(cancel?: (withdraw: () => void) => void, key = ''): number | Promise<number | SlotRefusal> {
    if (this.busy < this.limits.connections && this.count === 0) {
      this.busy++;
      this.lastKey = key;
      return 0;
    }
    if (this.count >= this.limits.queue && !this.makeRoom(key)) return Promise.resolve('queue_full');
    return new Promise((resolve) => {
      const w: Waiter = { since: performance.now(), key, resolve, timer: undefined };
      w.timer = setTimeout(() => this.leave(w, 'queue_timeout'), timerDelay(this.limits.queueTimeoutMs));
      const queue = this.turns.get(key);
      if (queue) queue.push(w);
      else this.turns.set(key, [w]);
      this.count++;
      cancel?.(() => this.leave(w, 'cancelled'));
    });
  }

  /** A slot is free again: the next key's longest waiter gets it (unless a reload lowered the count below those in use). */
  release(): void {
    const next = this.busy <= this.limits.connections ? this.next() : undefined;
    if (!next) {
      this.busy--;
      return;
    }
    this.handTo(next);
  }

  /** The longest waiter of the next key in turn, out of the queue; its key goes after every other key waiting. */
  private next(): Waiter | undefined {
    // The usual release, nobody waiting: no iterator made for an empty Map.
    if (this.count === 0) return undefined;
    let pick: [string, Waiter[]] | undefined;
    for (const entry of this.turns) {
      pick ??= entry;
      if (entry[0] !== this.lastKey) {
        pick = entry;
        break;
      }
    }
    if (!pick) return undefined;
    const [key, queue] = pick;
    const w = queue.shift()!;
    this.turns.delete(key);
    if (queue.length > 0) this.turns.set(key, queue);
    this.count--;
    this.lastKey = key;
    return w;
  }

  /**
   * At the bound, `key` with fewer waiting than the key with the most takes the place of that key's newest, refused
   * as it would have been had it come last: else whoever came last was refused, and one tenant keeping the queue full
   * had every other tenant's requests to the backend refused at once.
   */
  private makeRoom(key: string): boolean {
    const mine = this.turns.get(key)?.length ?? 0;
    let most: Waiter[] | undefined;
    for (const queue of this.turns.values()) if (most === undefined || queue.length > most.length) most = queue;
    if (most === undefined || most.length <= mine + 1) return false;
    this.leave(most.at(-1)!, 'queue_full');
    return true;
  }

  /** `w` takes a slot already counted as busy. */
  private handTo(w: Waiter): void {
    clearTimeout(w.timer);
    w.resolve(performance.now() - w.since);
  }

  private leave(w: Waiter, why: SlotRefusal): void {
    const queue = this.turns.get(w.key);
    const i = queue ? queue.indexOf(w) : -1;
    if (i < 0) return;
    queue!.splice(i, 1);
    if (queue!.length === 0) this.turns.delete(w.key);
    this.count--;
    clearTimeout(w.timer);
    w.resolve(why);
  }
}
