// Child processes for benchmarks: pinned with taskset when available; each prints `… listening on URL` lines.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { pinned } from './load.js';

/** Spawns `node ARGS` (pinned to `cpu` unless it is undefined) and resolves once `count` ready lines appeared. */
export function startPinned(cpu, args, count = 1) {
  const [cmd, a] = cpu === undefined ? [process.execPath, args] : pinned(cpu, process.execPath, args);
  const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not ready: ${out}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    const onData = (d) => {
      out += d;
      const urls = [...out.matchAll(/listening on (\S+)$/gm)].map((m) => m[1]);
      if (urls.length >= count) {
        clearTimeout(timer);
        // Later output is read and dropped, not kept and searched again on every read: a child that logs each
        // request would make that quadratic, in the process that shares its CPU with the load generator.
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, urls, stop: () => child.kill('SIGKILL') });
      }
    };
    child.stdout.on('data', onData);
  });
}

export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A private redis-server on a free port, or undefined when none is installed. */
export async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('Ready to accept') && resolve()));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

export function rssMiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}

export function openFds(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}
