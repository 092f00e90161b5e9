/** What a mock itself saw and sent (`GET /mock/stats`), so a test can compare it with the client's view. */

export interface AbortRecord {
  endpoint: string;
  /** Completion tokens produced before the client went away. */
  atToken: number;
  stream: boolean;
  /** Milliseconds since the epoch. */
  ts: number;
}

const MAX_ABORT_RECORDS = 1000;
/**
 * The key under which requests to paths the mock has no route for are counted, all together: each path its
 * own key let 20,000 distinct 8 KB paths grow the heap by 300 MiB and /mock/stats to 160 MB.
 */
export const UNROUTED = '(unrouted)';
/** Distinct keys kept, should a caller pass unbounded ones; past it, counts go to UNROUTED. */
const MAX_ENDPOINTS = 64;
/** The last traceparent headers received, so a test can follow a trace through a gateway. */
const MAX_TRACEPARENTS = 256;

export class MockStats {
  /** By routed path (a Map: a path named like an Object.prototype member is just a key). */
  requests = new Map<string, number>();
  completed = 0;
  aborted = 0;
  abortRecords: AbortRecord[] = [];
  faults: Record<string, number> = {};
  promptTokens = 0;
  completionTokens = 0;
  bytesSent = 0;
  traceparents: string[] = [];

  /** `endpoint`: a routed path, or UNROUTED. */
  request(endpoint: string, traceparent?: string | string[]): void {
    const key = this.requests.has(endpoint) || this.requests.size < MAX_ENDPOINTS ? endpoint : UNROUTED;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (traceparent !== undefined) {
      if (this.traceparents.length >= MAX_TRACEPARENTS) this.traceparents.shift();
      // A valid one is 55 characters; a longer value is kept cut, as evidence, not in full.
      this.traceparents.push(String(traceparent).slice(0, 128));
    }
  }
  fault(kind: string): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }
  abort(record: AbortRecord): void {
    this.aborted++;
    if (this.abortRecords.length >= MAX_ABORT_RECORDS) this.abortRecords.shift();
    this.abortRecords.push(record);
  }
  reset(): void {
    Object.assign(this, new MockStats());
  }
  toJSON(): object {
    return {
      requests: Object.fromEntries(this.requests),
      completed: this.completed,
      aborted: { count: this.aborted, recent: this.abortRecords },
      faults: this.faults,
      tokens: { prompt: this.promptTokens, completion: this.completionTokens },
      bytesSent: this.bytesSent,
      traceparents: this.traceparents,
    };
  }
}
