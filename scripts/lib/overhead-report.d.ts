// Types of overhead-report.js for the tests that drive it.
export interface Target {
  name: string;
  label: string;
}

/** A target's figures (medians), by name: rps, cpuUsPerRequest, lat1P50, streamsPerS, ttfbMs, delayP99, … */
export type Figures = Record<string, number>;

export interface Table {
  title?: string;
  columns: string[];
  rows: { row: string; cells: Record<string, string> }[];
}

export declare function mediansOf(rounds: Record<string, unknown>[]): Figures;
export declare function overheadTable(
  targets: Target[],
  m: Record<string, Figures>,
  mem: Record<string, { idleBytes: number; afterBytes: number; idleSettledBytes?: number; afterSettledBytes?: number }>,
  connections: number,
  large?: Record<string, { answers: number; answerMiB: number; incomplete: number; rssGrowthMiB?: number }>,
): Table;
type PromptScript = 'latin' | 'cyrillic' | 'cjk';
export declare function streamsTable(
  targets: Target[],
  m: Record<string, Figures>,
  n: number,
  intervalMs: number,
  seconds: number,
  promptKiB?: number,
  promptScript?: PromptScript,
): Table;
export declare function markdown(table: Table, targets: Target[]): string;
/** A signed figure (`+0.125`, `−0.005`), `–` when there is none. */
export declare function plus(x: number | undefined, d: number): string;
