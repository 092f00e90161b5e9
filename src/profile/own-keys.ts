/**
 * Plain objects keyed by what a file says. `obj["__proto__"] = v` would replace the object's prototype instead of
 * adding a key, and `obj["toString"]` finds a key nobody wrote: these helpers only ever see a key that is there.
 */

/** Adds `key` as an own property, even `__proto__` (which assignment would turn into a prototype). */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The value of an own key only: `toString`, `constructor` and the like are not keys of a plain object. */
export function getOwn<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * Names that are properties of every object (`__proto__`, `constructor`, `toString`, …) or `prototype`: code that
 * keeps names as object keys would find something there without anyone having written it, so they are refused as names.
 */
export function isReservedName(name: string): boolean {
  return name === 'prototype' || name in Object.prototype;
}
