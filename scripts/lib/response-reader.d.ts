// Types of response-reader.js (the benchmark scripts are plain JS run by node) for the tests that drive it.
export interface ResponseEvents {
  head(status: number, headers: Record<string, string>): void;
  body(buf: Buffer, start: number, end: number): void;
  end(): void;
  error(message: string): void;
}

export declare class ResponseReader {
  constructor(on: ResponseEvents);
  push(buf: Buffer): void;
  close(): void;
}
