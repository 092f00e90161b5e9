/**
 * A value now, or later. Hot-path stages that usually answer at once (an API key, the memory rate-limit store,
 * a settle with nothing to count) return the value itself and a promise only when they really wait: each
 * promise and await is an allocation and a microtask on every request.
 */
export type MaybePromise<T> = T | Promise<T>;
