// Types of heap-diff.js for the tests that drive it.
export interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: (string[] | string)[];
      edge_fields: string[];
      edge_types: (string[] | string)[];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface ClassSummary {
  name: string;
  count: number;
  selfBytes: number;
  retainedBytes: number;
}

export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  classes: ClassSummary[];
}

export interface Growth {
  name: string;
  count: [number, number];
  selfBytes: [number, number];
  retainedBytes: [number, number];
  retainedDelta: number;
}

export declare function summarizeHeap(snap: HeapSnapshot): HeapSummary;
export declare function heapGrowth(before: HeapSummary, after: HeapSummary): Growth[];
export declare function formatHeapGrowth(before: HeapSummary, after: HeapSummary, top?: number): string;
export declare function readSnapshot(file: string): HeapSummary;
