// Types of stream-hold.js for the tests that drive it.
export interface Summary {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface HeldStreams {
  n: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
  chunks: number;
  expectedChunks: number;
  seconds: number;
  delay: Summary;
  lateness: Summary;
  upstreamLateness: Summary;
  gap: Summary;
  ttfc: Summary;
  clientLoop: { p99: number; max: number };
}

export declare function rawRequest(url: string, body: string, headers?: Record<string, string>): Buffer;

export declare function holdStreams(o: {
  url: string;
  body: string;
  headers?: Record<string, string>;
  n: number;
  rampMs: number;
  chunks: number;
  intervalMs: number;
  graceMs?: number;
}): Promise<HeldStreams>;
