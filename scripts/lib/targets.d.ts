// Types of targets.js for the tests that drive it.
export interface Started {
  name: string;
  pid: number;
  errFile: string;
  cpuSeconds(): number;
  rssBytes(): number;
  probe: ((what: string, extra?: Record<string, unknown>, timeoutMs?: number) => Promise<unknown>) | undefined;
  alive(): boolean;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export declare function startProcess(o: {
  name: string;
  cmd: string;
  args: string[];
  cpu?: number;
  ports: number[];
  dir: string;
  ipc?: boolean;
  stopSignal?: NodeJS.Signals;
  readyMs?: number;
}): Promise<Started>;
