// Types of chunk-markers.js for the tests that drive it.
export declare class MarkerScanner {
  constructor(onMarker: (scheduledUs: number, sentUs: number) => void);
  /** `data: [DONE]` was seen. */
  readonly done: boolean;
  scan(buf: Buffer, start: number, end: number): void;
}
