// Types of overhead-options.js for the tests that drive it.
export interface OverheadOptions {
  help: boolean;
  rounds: number;
  seconds: number;
  connections: number;
  only: string[] | undefined;
  counts: number[];
  streamSeconds: number;
  intervalMs: number;
  /** The prompt each paced stream's request carries, KiB (0: a short sentence). */
  promptKiB: number;
  promptScript: 'latin' | 'cyrillic' | 'cjk';
  rampMs: number;
  cadenceMs: number;
  streamRounds: number;
  streamsOnly: boolean;
  large: boolean;
  cpuProf: string | undefined;
  cpuIntervalUs: number;
  heap: boolean;
  dir: string | undefined;
  json: string | undefined;
  baseline: string | undefined;
  pin: boolean;
}

export declare const HELP: string;
export declare function readOptions(args: string[]): { ok: true; value: OverheadOptions } | { ok: false; message: string };
