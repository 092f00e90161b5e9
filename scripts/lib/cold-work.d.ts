export interface ColdWork {
  hotUs: number;
  coldUs: number;
  factor: number;
  gapMs: number;
}
export function coldWork(options?: { cpu?: number; samples?: number; gapMs?: number }): ColdWork | undefined;
export function formatColdWork(m: ColdWork | null | undefined): string;
