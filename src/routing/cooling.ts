/**
 * Targets whose backend declared itself overloaded — a 503 (or Anthropic's 529) with a retry-after — and until when,
 * on the routing clock (monotonic ms). The plan puts such a target behind its model's other targets while it lasts
 * (plan.ts): forgotten at the end of the request that met it, the next request went straight back to the backend that
 * had just asked for 30 s, and paid a failed attempt first. Keyed by target id, so it outlives a reload.
 */
export class Cooling {
  private readonly until = new Map<string, number>();

  /** How many targets may be cooling (a map read per request only while one is). */
  get size(): number {
    return this.until.size;
  }

  /** `id` cools until `untilMs`; a later deadline already noted is kept. */
  note(id: string, untilMs: number, now: number): void {
    // Bounded by the targets of the profiles seen: each expired one goes when another is noted.
    for (const [k, u] of this.until) if (u <= now) this.until.delete(k);
    if ((this.until.get(id) ?? 0) < untilMs) this.until.set(id, untilMs);
  }

  isCooling(id: string, now: number): boolean {
    const u = this.until.get(id);
    if (u === undefined) return false;
    if (u > now) return true;
    this.until.delete(id);
    return false;
  }
}
