/** One mock server's identity, configuration, stats, seeded fault source, pace and prefill account. */
import { Rng } from '../core/hash.js';
import type { TokenCounter } from '../openai/tokens.js';
import { parseFault, type Fault } from './controls.js';
import type { Pace } from './pace.js';
import { Prefill } from './prefill.js';
import { MockStats } from './stats.js';

/** What a mock needs to know; the profile's `mock:` block, with the backend's name. */
/** The longest model name a mock that lists none answers (as the gateway accepts: openai/parse-request.ts). */
export const MAX_MODEL_NAME = 256;

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
  /** Connections held at once; one more is closed as it is accepted. None: no cap (the CLI always gives one, where known). */
  maxConnections?: number;
  /** How long a client may leave the mock's bytes unread before its connection goes (per MiB once ended); http.ts CLIENT_STALL_MS when unset. */
  clientStallMs?: number;
}

export class MockContext {
  readonly stats = new MockStats();
  readonly startedAt = Date.now();
  readonly identity: Readonly<Record<string, string>>;
  readonly prefill: Prefill;
  /** The profile's pace, and the current one (`POST /mock/control` changes it). */
  readonly initialPace: Readonly<Pace>;
  pace: Readonly<Pace>;
  private rng: Rng | undefined;
  private readonly faultKinds: Fault[];

  constructor(
    readonly config: MockSettings,
    /** The mock's own token counter (a deterministic character budget, openai/tokens.ts). */
    readonly tokens: TokenCounter,
  ) {
    this.identity = Object.freeze({ 'x-mock-backend': config.name });
    this.prefill = new Prefill(tokens, config.prefixCache);
    this.initialPace = Object.freeze({
      ttft: config.ttft,
      tokensPerSecond: config.tokensPerSecond,
      prefillPerToken: config.prefixCache?.prefillPerToken ?? 0,
      slowdown: 1,
    });
    this.pace = this.initialPace;
    this.rng = this.freshRng();
    this.faultKinds = (config.faults?.kinds ?? []).map((k) => {
      const f = parseFault(k);
      if (typeof f === 'string') throw new Error(`mock ${config.name}: ${f}`);
      return f;
    });
  }

  /**
   * `POST /mock/reset`: the stats zeroed, the prefix cache emptied, the profile's pace — and the random faults drawn
   * from their seed again, so that a reset mock behaves as a freshly started one (the draws went on from where they
   * were: a run repeated after a reset met other faults than the first).
   */
  reset(): void {
    this.stats.reset();
    this.prefill.reset();
    this.pace = this.initialPace;
    this.rng = this.freshRng();
  }

  private freshRng(): Rng | undefined {
    const faults = this.config.faults;
    return faults && faults.rate > 0 ? new Rng(faults.seed) : undefined;
  }

  get name(): string {
    return this.config.name;
  }

  /**
   * Whether this mock answers `model`. One that lists no models answers any name a real one could have (at most
   * MAX_MODEL_NAME characters): every streamed event repeats the name, and a megabyte name made each event one.
   */
  serves(model: string): boolean {
    return this.config.models ? this.config.models.includes(model) : model.length <= MAX_MODEL_NAME;
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
