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

export class MockStats {
  requests: Record<string, number> = {};
  completed = 0;
  aborted = 0;
  abortRecords: AbortRecord[] = [];
  faults: Record<string, number> = {};
  promptTokens = 0;
  completionTokens = 0;
  bytesSent = 0;

  request(endpoint: string): void {
    this.requests[endpoint] = (this.requests[endpoint] ?? 0) + 1;
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
      requests: this.requests,
      completed: this.completed,
      aborted: { count: this.aborted, recent: this.abortRecords },
      faults: this.faults,
      tokens: { prompt: this.promptTokens, completion: this.completionTokens },
      bytesSent: this.bytesSent,
    };
  }
}
