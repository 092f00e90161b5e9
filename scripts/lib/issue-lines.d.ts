export interface JudgedLine {
  line: string;
  figure: string;
  /** undefined: the run has no figure for this line. */
  met: boolean | undefined;
}
export interface JudgedLines {
  subject: string;
  lines: JudgedLine[];
}
type Medians = Record<string, Record<string, number>>;
export function issueLines(
  m: Medians,
  mem: Record<string, { idleBytes?: number; afterBytes?: number }> | undefined,
  streams:
    | Record<string, { n: number; directKeepsCadence: boolean; medians: Medians; runs?: Record<string, { failed?: number }[]> }>
    | undefined,
): JudgedLines | undefined;
export function formatIssueLines(judged: JudgedLines | undefined, label: string): string;
