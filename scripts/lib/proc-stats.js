// CPU and memory of a process and its descendants, read from /proc (nginx is a master plus workers; Node is one process).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: Linux reports utime/stime in 1/100 s whatever the kernel's HZ

function children(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The pid and every live descendant's. */
export function processTree(pid) {
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    todo.push(...children(p));
  }
  return out;
}

function statFields(pid) {
  // The command name (field 2) may hold spaces and parentheses; fields after its last ')' are fixed.
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of the tree so far (all threads: GC and libuv workers included). */
export function treeCpuSeconds(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const f = statFields(p);
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // a worker that exited between listing and reading: its CPU is gone with it
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Resident memory of the tree in bytes (VmRSS summed: shared pages of nginx's workers count once per process). */
export function treeRssBytes(pid) {
  let kib = 0;
  for (const p of processTree(pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kib * 1024;
}

/** The soft and hard limits on open files of a process. */
export function openFileLimits(pid = process.pid) {
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const n = (s) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: n(m?.[1] ?? '0'), hard: n(m?.[2] ?? '0') };
}

/** The kernel's cap on any listen backlog. */
export function somaxconn() {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * One CPU's ticks from /proc/stat: all of them, and the steal among them — time the hypervisor gave other guests
 * while this one wanted to run. Undefined where there is no /proc/stat (not Linux).
 */
export function cpuTicks(cpu) {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    // user nice system idle iowait irq softirq steal (guest time is counted within user already)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: f.reduce((x, y) => x + y, 0), steal: f[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** The share (0–1) of a CPU's time the host took between two cpuTicks readings; undefined when unknown. */
export function stealShare(before, after) {
  if (!before || !after) return undefined;
  const total = after.total - before.total;
  return total > 0 ? (after.steal - before.steal) / total : undefined;
}
