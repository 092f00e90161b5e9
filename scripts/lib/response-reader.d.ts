// Types of response-reader.js (the benchmark scripts are plain JS run by node) for the tests that drive it.
export interface ResponseEvents {
  head(status: number, headers: Record<string, string>): void;
  body(buf: Buffer, start: number, end: number): void;
  end(): void;
  error(message: string): void;
}

export declare class ResponseReader {
  constructor(on: ResponseEvents);
  /** Feeds buf[0, end) (end defaults to its length); buf may be reused afterwards. */
  push(buf: Buffer, end?: number): void;
  close(): void;
}
