/**
 * Milliseconds since the epoch as of the process's start, then counted by a monotonic clock. For every duration and
 * deadline the gateway keeps across requests (limit windows, ejection cooldowns, latency estimates, the drain): a
 * wall-clock step (NTP, a VM resumed, an operator's `date -s`) moves Date.now(), and a cooldown read against it
 * lasted an hour after the clock went back an hour, or nothing after it went forward. Events' `ts` stay wall time.
 */
export const monotonicNow = (): number => performance.timeOrigin + performance.now();
