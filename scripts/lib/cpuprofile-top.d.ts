// Types of cpuprofile-top.js for the tests that drive it.
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  area: string;
  selfUs: number;
  totalUs: number;
}

export interface CpuAnalysis {
  sampledUs: number;
  busyUs: number;
  functions: FunctionTime[];
  areas: { area: string; selfUs: number }[];
}

export declare function areaOf(url: string, functionName: string, root?: string): string;
export declare function analyzeCpuProfile(profile: CpuProfile, root?: string): CpuAnalysis;
export declare function formatCpuTop(r: CpuAnalysis, top?: number): string;

export interface ProfiledLoad {
  analysis: CpuAnalysis;
  requests: number;
}
export interface PerRequestRow {
  a: number;
  b: number;
}
export interface PerRequestComparison {
  busy: PerRequestRow;
  areas: (PerRequestRow & { area: string })[];
  extra: (PerRequestRow & { name: string; where: string; area: string })[];
}
export declare function comparePerRequest(a: ProfiledLoad, b: ProfiledLoad, top?: number): PerRequestComparison;
export declare function formatComparePerRequest(c: PerRequestComparison, labels: [string, string], top?: number, unit?: string): string;
