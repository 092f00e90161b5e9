/**
 * A delay as Node's timers hold it. A timer holds its delay in 32 bits: past 2^31 − 1 ms (~24.8 days) Node warns and
 * fires it after 1 ms, so a profile's "as good as never" (a queueTimeout of 600h) fired at once. Clamped, it fires
 * after ~24.8 days instead — as good as never for a wait that bounds one request.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const timerDelay = (ms: number): number => Math.min(ms, MAX_TIMER_MS);
