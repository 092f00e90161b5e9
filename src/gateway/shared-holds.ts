/**
 * What runtimes share across reloads — the limiter, the JWT verifier, the tracer — counted per object. A
 * reload chain can carry one object through several runtimes (A → B carries A's limiter → C builds its own,
 * while A's requests still settle on it), so an object is closed only when the last runtime holding it lets
 * go, never because the runtime that happens to succeed one holder uses another.
 */
type Closer = () => Promise<unknown> | unknown;

export class SharedHolds {
  private readonly held = new Map<object, { count: number; close: Closer }>();

  /** One more runtime holds `thing`; `close` (the first holder's) runs when the last one lets go. */
  hold<T extends object>(thing: T, close: Closer): T {
    const h = this.held.get(thing);
    if (h) h.count++;
    else this.held.set(thing, { count: 1, close });
    return thing;
  }

  /** A runtime lets go of `thing` (nothing for `undefined`); the last to let go closes it. */
  async drop(thing: object | undefined): Promise<void> {
    const h = thing && this.held.get(thing);
    if (!h) return;
    if (--h.count > 0) return;
    this.held.delete(thing);
    await h.close();
  }

  /** How many runtimes hold `thing` (0 once closed): for tests and stats. */
  holders(thing: object): number {
    return this.held.get(thing)?.count ?? 0;
  }
}
