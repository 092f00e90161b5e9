/** A bench scenario's context for tests that call a scenario directly: a short load of the target at `url`. */
import type { BenchContext } from '../../src/bench/context.js';
import { LiveFeed } from '../../src/bench/live.js';

export function benchContext(target: BenchContext['target'], over: Partial<BenchContext> = {}): BenchContext {
  return {
    target,
    model: 'm',
    apiKey: undefined,
    limitedKey: undefined,
    profile: undefined,
    durationMs: 300,
    connections: 2,
    rate: undefined,
    burstiness: 1,
    workload: undefined,
    slo: undefined,
    longSizes: undefined,
    expect: undefined,
    pacer: undefined,
    live: new LiveFeed(),
    progress: () => {},
    ...over,
  };
}
