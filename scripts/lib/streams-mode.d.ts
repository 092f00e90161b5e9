// Types of streams-mode.js for the tests that drive it.
type PromptScript = 'latin' | 'cyrillic' | 'cjk';
/** Prompt filler per script. */
export declare const PROMPT_FILLER: Record<PromptScript, string>;
/** The request of one paced stream: `chunks` chunks `intervalMs` apart, with `promptKiB` KiB of prompt (0: none) in `promptScript`. */
export declare function pacedBody(chunks: number, intervalMs: number, promptKiB?: number, promptScript?: PromptScript): string;
/** How long each target's unmeasured warm-up streams last. */
export declare const WARM_UP_SECONDS: number;
interface StreamsTarget {
  name: string;
  label: string;
  url: string;
  proc?: unknown;
}
/** One target's run at one count (some of its figures). */
interface StreamRun {
  n: number;
  ok: number;
  failed: number;
  chunks: number;
  /** The gateway's CPU per chunk while every stream was open (no process, or too short a run: undefined). */
  openCpuUsPerChunk?: number;
  /** Seconds in which the gateway used ≥ 95 % of one core. */
  saturatedSeconds?: number;
}
/** Every count, `rounds` interleaved runs each, after one unmeasured warm-up per target. */
export declare function runStreams(o: {
  targets: StreamsTarget[];
  up: { url: string; proc: { cpuSeconds(): number } };
  counts: number[];
  seconds: number;
  intervalMs: number;
  promptKiB: number;
  rampMs: number;
  cadenceMs: number;
  rounds: number;
  headers: Record<string, string>;
  log: (line: string) => void;
}): Promise<Record<number, { n: number; directKeepsCadence: boolean; runs: Record<string, StreamRun[]> }>>;
