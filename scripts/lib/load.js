// Closed-loop load: wrk when installed (pinned with taskset), else autocannon. Same figures either way.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as autocannonLoad } from './bench-util.js';

export const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
export const hasTaskset = spawnSync('taskset', ['-V']).error === undefined;

/** Prefix to pin a command to one CPU when taskset exists. */
export function pinned(cpu, cmd, args) {
  return hasTaskset ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

function parseMs(s) {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/** One run; resolves with { rps, p50, p99, total, errors } (latencies in ms). */
export function closedLoop({ url, body, connections, seconds, cpu = 0, headers = {} }) {
  if (!hasWrk) return autocannonLoad({ url, body, connections, seconds, headers });
  const dir = mkdtempSync(join(tmpdir(), 'aigw-wrk-'));
  const script = join(dir, 'post.lua');
  const extra = Object.entries(headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}\n`)
    .join('');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n${extra}`,
  );
  const [cmd, args] = pinned(cpu, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url]);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    // wrk says why it could not load (a refused connection, a bad script) on stderr: kept for the error below.
    p.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const total = Number(/(\d+) requests in/.exec(out)?.[1]);
      const p50 = parseMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
      const p99 = parseMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
      // Socket errors: connect N, read N, write N, timeout N — all of them count.
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out) ?? [];
      const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + socket.slice(1).reduce((a, x) => a + Number(x), 0);
      if (!Number.isFinite(rps))
        return reject(new Error(`wrk output not understood (exit ${code ?? signal}):\n${out}${err ? `\nstderr:\n${err}` : ''}`));
      resolve({ rps, p50, p99, total, errors });
    });
  });
}
