/**
 * A bounded set of numeric keys with least-recently-used eviction, O(1) per operation: a Map from key to
 * slot plus a doubly linked list in typed arrays. (A Map used as its own LRU — delete the first key, re-set
 * to refresh — costs O(size) per eviction in V8, since iteration from the front walks deleted entries:
 * tens of microseconds per block at 10k keys.) Storage grows by doubling up to `capacity`.
 */
export class LruSet {
  private readonly slots = new Map<number, number>();
  private keys = new Float64Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** Most recently used slot, and least. */
  private head = -1;
  private tail = -1;
  private used = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`LruSet capacity must be at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.slots.size;
  }

  has(key: number): boolean {
    return this.slots.has(key);
  }

  /** Makes `key` the most recently used, adding it if absent; true when that evicted the least recent key. */
  touch(key: number): boolean {
    const at = this.slots.get(key);
    if (at !== undefined) {
      this.unlink(at);
      this.pushFront(at);
      return false;
    }
    let slot: number;
    let evicted = false;
    if (this.used < this.capacity) {
      slot = this.used++;
      if (slot >= this.keys.length) this.grow();
    } else {
      slot = this.tail;
      this.unlink(slot);
      this.slots.delete(this.keys[slot]!);
      evicted = true;
    }
    this.keys[slot] = key;
    this.slots.set(key, slot);
    this.pushFront(slot);
    return evicted;
  }

  clear(): void {
    this.slots.clear();
    this.head = this.tail = -1;
    this.used = 0;
  }

  private grow(): void {
    const n = Math.min(this.capacity, Math.max(16, this.keys.length * 2));
    const keys = new Float64Array(n);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    keys.set(this.keys);
    prev.set(this.prev);
    next.set(this.next);
    this.keys = keys;
    this.prev = prev;
    this.next = next;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private pushFront(slot: number): void {
    this.prev[slot] = -1;
    this.next[slot] = this.head;
    if (this.head >= 0) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }
}
