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
