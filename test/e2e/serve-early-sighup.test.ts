/**
 * `aigw serve` hears SIGHUP (reload) from the moment the command is chosen, before the gateway is loaded: a
 * supervisor's reload sent right after the start (systemd's ExecReload, a config tool writing the profile and
 * signalling) ended the process — SIGHUP's default action — while the gateway's code was imported and its profile
 * read, and one heard after that but before the gateway could reload was dropped. Held, it is a reload once it serves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';

/** CPU seconds a process has used so far (/proc/PID/stat: utime and stime, in ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds a command used, as bash's `times` reports its children's (user + system). */
function cpuOf(command: string[]): number {
  const r = spawnSync('bash', ['-c', '"$@" > /dev/null 2>&1; times', 'bash', ...command], { encoding: 'utf8' });
  const children = r.stdout.trim().split('\n').at(-1)!;
  return [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
}

/** A profile slow to read (~0.2 ms a model here), so that a signal can be sent while it is read. */
function slowProfile(models: number): string {
  const lines = ['version: 1', 'backends:', '  b: { url: "http://127.0.0.1:9" }', 'models:'];
  for (let i = 0; i < models; i++) lines.push(`  m${i}: { targets: [{ backend: b }] }`);
  return `${lines.join('\n')}\n`;
}

let stop: (() => void) | undefined;
afterEach(() => stop?.());

describe.runIf(process.platform === 'linux')('serve and an early SIGHUP', () => {
  it('a SIGHUP while serve reads its profile is a reload once it serves — not its end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-early-hup-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(file, slowProfile(8000));
    // What starting node and reading the profile costs here (validate does no more before it ends); node and the
    // gateway's code alone: a tenth of it.
    const reading = cpuOf([process.execPath, AIGW, 'validate', '-c', file]);
    const bare = cpuOf([process.execPath, AIGW, 'validate', '-c', join(dir, 'missing.yaml')]);
    expect(reading).toBeGreaterThan(4 * bare);
    const child = spawn(process.execPath, [AIGW, 'serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stop = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // Half way through the profile's reading: well past node's start and the gateway's import, well before it listens.
    await eventually(() => child.exitCode !== null || cpuSeconds(child.pid!) >= bare + (reading - bare) / 2, 60_000);
    expect(out).not.toMatch(/listening on/);
    expect(child.kill('SIGHUP')).toBe(true);
    await eventually(() => /reload ok SIGHUP/.test(out) || child.exitCode !== null || child.signalCode !== null, 60_000);
    expect(child.signalCode, out).toBe(null);
    expect(out).toMatch(/gateway listening on/);
    expect(out).toMatch(/reload ok SIGHUP: 8000 models/);
  }, 120_000);
});
