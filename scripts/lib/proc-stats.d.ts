export interface CpuTicks {
  total: number;
  steal: number;
}
export function cpuTicks(cpu: number): CpuTicks | undefined;
export function stealShare(before: CpuTicks | undefined, after: CpuTicks | undefined): number | undefined;
