// Types of alloc-profile.js for the tests that drive it.
export interface SamplingHeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: SamplingHeapNode[];
}

export interface Allocation {
  bytesPerRequest: number;
  areas: { name: string; bytes: number }[];
  functions: { name: string; bytes: number }[];
}

export declare function allocationPerRequest(profile: { head: SamplingHeapNode }, requests: number, root?: string): Allocation;
export declare function formatAllocation(label: string, a: Allocation, top?: number, what?: string): string;
