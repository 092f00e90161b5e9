/** One mock server's identity, configuration, stats and seeded fault source. */
import { Rng } from '../core/hash.js';
import { parseFault, type Fault } from './controls.js';
import { MockStats } from './stats.js';

/** What a mock needs to know; the profile's `mock:` block, with the backend's name. */
export interface MockSettings {
  name: string;
  kind: 'vllm' | 'tei' | 'anthropic' | 'azure-openai';
  /** Upstream model names served; undefined accepts any name. */
  models?: readonly string[];
  ttft: number;
  tokensPerSecond: number;
  tokensPerChunk: number;
  defaultMaxTokens: number;
  dimensions: number;
  faults?: { rate: number; seed: number; kinds: readonly string[] };
  prefixCache?: { blocks: number; blockTokens: number; prefillPerToken: number };
  /** anthropic, azure-openai: the key requests must carry (the backend's apiKey); any non-empty key when unset. */
  apiKey?: string;
}

export class MockContext {
  readonly stats = new MockStats();
  readonly startedAt = Date.now();
  readonly identity: Readonly<Record<string, string>>;
  readonly promptCache = new Map<string, number>();
  private readonly rng: Rng | undefined;
  private readonly faultKinds: Fault[];

  constructor(readonly config: MockSettings) {
    this.identity = Object.freeze({ 'x-mock-backend': config.name });
    this.rng = config.faults && config.faults.rate > 0 ? new Rng(config.faults.seed) : undefined;
    this.faultKinds = (config.faults?.kinds ?? []).map((k) => {
      const f = parseFault(k);
      if (typeof f === 'string') throw new Error(`mock ${config.name}: ${f}`);
      return f;
    });
  }

  get name(): string {
    return this.config.name;
  }

  serves(model: string): boolean {
    return !this.config.models || this.config.models.includes(model);
  }

  servedModels(): readonly string[] {
    return this.config.models ?? [this.config.name];
  }

  /** The profile's random faults: the same sequence for the same seed, one draw per completion request. */
  drawFault(): Fault | undefined {
    if (!this.rng || this.faultKinds.length === 0) return undefined;
    const roll = this.rng.float();
    const pick = this.rng.next() % this.faultKinds.length;
    return roll < this.config.faults!.rate ? this.faultKinds[pick] : undefined;
  }
}
