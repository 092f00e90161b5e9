/**
 * Ctrl-C during `aigw bench`: the first SIGINT stops the load and the run reports what it measured (stdout,
 * --json), exit 130; requests the bench cut are not the target's failures. A second SIGINT stops at once,
 * and the gateway and mocks the bench started go with it — as they do when the bench is killed outright.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-interrupt-'));

/** Starts `aigw bench -c profiles/demo.yaml --model llama-3-70b ARGS`; `until(re)` resolves once stderr matches. */
function startBench(args: string[]) {
  const cleanupAfter = cleanupScope();
  const child = spawn(process.execPath, [AIGW, 'bench', '-c', 'profiles/demo.yaml', '--model', 'llama-3-70b', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stderr!.on('data', (d) => {
    stderr += d;
    for (const w of waiters.splice(0))
      if (w.re.test(stderr)) w.resolve();
      else waiters.push(w);
  });
  cleanupAfter(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    exited,
    out: () => ({ stdout, stderr }),
    until: (re: RegExp) => new Promise<void>((resolve) => (re.test(stderr) ? resolve() : waiters.push({ re, resolve }))),
  };
}

/** A process's group (what a terminal's Ctrl-C is sent to), from /proc. */
const groupOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);

/** The pids of the processes the bench started (its children), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Waits (up to 15 s) for every one of `pids` to exit; the ones still alive. */
async function survivors(pids: Iterable<number>): Promise<number[]> {
  const all = [...pids];
  const deadline = Date.now() + 15_000;
  while (all.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return all.filter(alive);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('aigw bench, interrupted', () => {
  it('reports what ran on the first Ctrl-C: the figures so far, what was skipped, no failure for the requests it cut', async () => {
    const json = join(dir, 'interrupted.json');
    const b = startBench(['--scenario', 'stream', '--scenario', 'throughput', '--scenario', 'long', '--duration', '120s', '--json', json]);
    // Two of the live lines printed every 2 s off a terminal: streams are in flight.
    await b.until(/\[\d+\.\ds\]\s+stream[^\n]*\n[\s\S]*\[\d+\.\ds\]\s+stream/);
    const t0 = Date.now();
    b.child.kill('SIGINT');
    const code = await b.exited;
    const { stdout, stderr } = b.out();
    expect(code, stdout + stderr).toBe(130);
    // Three scenarios of 120 s (and a direct baseline) would take minutes: the run ended on the signal.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(stderr).toContain('Ctrl-C: stopping the load and reporting what ran');
    expect(stdout).toContain('interrupted during stream: its figures cover what ran before the signal; not run: throughput, long');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.interrupted).toEqual({ during: 'stream', skipped: ['throughput', 'long'] });
    expect(Object.keys(report.scenarios)).toEqual(['stream']);
    expect(report.figures['stream.count']).toBeGreaterThan(0);
    // Streams in flight at the signal were cut by the bench itself: not counted as the gateway's failures.
    expect(report.figures['stream.failed']).toBe(0);
    expect(report.scenarios.stream.lines.join('\n')).not.toMatch(/failed or refused/);
  }, 90_000);

  it('stops at once on a second Ctrl-C, without a report, and stops the gateway and mocks it started', async () => {
    // Starting the mocks and the gateway is not cut short by a first signal: the second comes while it runs.
    const b = startBench(['--scenario', 'throughput', '--duration', '120s']);
    const seen = new Set<number>();
    let first: { pid: number; profile: string } | undefined;
    const started = Date.now() + 30_000;
    while (!first && Date.now() < started) {
      for (const pid of childrenOf(b.child.pid!)) {
        seen.add(pid);
        // Once it runs aigw (after exec: its own session and process group by then).
        const m = /(?:^|\0)-c\0([^\0]+\/(?:mocks|profile)\.json)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
        if (m) first = { pid, profile: m[1]! };
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!first) throw new Error(`the bench started nothing in 30 s: ${b.out().stderr}`);
    // Not in the bench's process group: a terminal's Ctrl-C reaches the bench alone, not what it is measuring.
    expect(groupOf(first.pid)).not.toBe(groupOf(b.child.pid!));
    b.child.kill('SIGINT');
    await b.until(/Ctrl-C: stopping the load/);
    b.child.kill('SIGINT');
    while (b.child.exitCode === null) {
      for (const pid of childrenOf(b.child.pid!)) seen.add(pid);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await b.exited).toBe(130);
    expect(b.out().stdout).not.toContain('aigw bench —');
    // The second signal, not the first one's orderly path (which waits for the start to end, then says so).
    expect(b.out().stderr).not.toContain('interrupted before the first scenario');
    // The profiles it wrote for them (with the bench's own key, hashed) are gone with it.
    expect(existsSync(dirname(first.profile))).toBe(false);
    // Signalled before the bench exited: each drains and exits on its own.
    expect(await survivors(seen)).toEqual([]);
  }, 90_000);

  it('cuts a long answer in flight on the first Ctrl-C, and says the bench cut it: not a truncation', async () => {
    const json = join(dir, 'long.json');
    // 256 MiB takes many seconds here; the signal comes a moment after the request went.
    const b = startBench(['--scenario', 'long', '--long-sizes', '256Mi', '--json', json]);
    await b.until(/long: 256MiB body/);
    await new Promise((r) => setTimeout(r, 300));
    b.child.kill('SIGINT');
    expect(await b.exited).toBe(130);
    const { stdout } = b.out();
    expect(stdout).toMatch(/256MiB body\s+interrupted after \d+ bytes: the bench cut it \(not a finding\)/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    // Its one answer cut by the bench: nothing measured, so no count of truncations (not 0, which an assertion passes).
    expect(report.figures['long.truncations']).toBeNull();
    expect(report.figures['long.errors']).toBe(0);
    // Nor a failure of the target anywhere else in the report.
    expect(stdout).not.toMatch(/failed or refused/);
    expect(report.scenarios.long.refusals).toEqual([]);
    expect(report.interrupted).toEqual({ during: 'long', skipped: [] });
  }, 90_000);

  it('a SIGTERM while it starts the gateway and mocks: exit 143, and nothing it started is left running', async () => {
    const b = startBench(['--scenario', 'throughput', '--duration', '120s']);
    const seen = new Set<number>();
    while (seen.size === 0) {
      for (const pid of childrenOf(b.child.pid!)) seen.add(pid);
      await new Promise((r) => setTimeout(r, 10));
    }
    b.child.kill('SIGTERM');
    // It may still start the rest (the gateway) before it stops: every child it had is watched.
    while (b.child.exitCode === null) {
      for (const pid of childrenOf(b.child.pid!)) seen.add(pid);
      await new Promise((r) => setTimeout(r, 10));
    }
    const code = await b.exited;
    expect(code, b.out().stderr).toBe(143);
    // Before the first scenario, or in it: whichever the signal found, it is said.
    expect(b.out().stderr).toMatch(/interrupted before the first scenario|SIGTERM: stopping the load/);
    expect(await survivors(seen)).toEqual([]);
  }, 90_000);

  it('killed outright (SIGKILL: no handler, no exit hook), it leaves no gateway or mock running', async () => {
    const b = startBench(['--scenario', 'throughput', '--duration', '120s']);
    await b.until(/\[\d+\.\ds\]\s+throughput/);
    const started = childrenOf(b.child.pid!);
    expect(started.length).toBe(2);
    // What nothing can remove after a SIGKILL (the profiles written for them): this test's to clean up.
    const profiles = dirname(/(?:^|\0)-c\0([^\0]+)/.exec(readFileSync(`/proc/${started[0]}/cmdline`, 'utf8'))![1]!);
    b.child.kill('SIGKILL');
    await b.exited;
    // Their stdin, a pipe from the bench, ended with it: each stops as on SIGTERM.
    expect(await survivors(started)).toEqual([]);
    expect(profiles).toMatch(/aigw-bench-\w+$/);
    rmSync(profiles, { recursive: true, force: true });
  }, 90_000);
});
