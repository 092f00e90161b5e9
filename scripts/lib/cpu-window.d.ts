export function allOpenWindow(rampMs: number, streamMs: number): { from: number; to: number } | undefined;
export function busySeconds(samples: readonly { ms: number; cpuSeconds: number }[], share?: number): number;
export function cpuPerChunkBetween(
  a: { cpuSeconds: number; chunks: number } | undefined,
  b: { cpuSeconds: number; chunks: number } | undefined,
): number | undefined;
