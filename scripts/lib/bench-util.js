// Shared helpers for the benchmark scripts: child processes with ready lines, autocannon runs, medians.
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';

export const AIGW = new URL('../../bin/aigw.js', import.meta.url).pathname;

/** Spawns `node ARGS` and resolves with the URLs of its `… listening on URL` lines once `count` appeared. */
export function startProcess(args, count = 1, env = {}) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    const urls = [];
    const timer = setTimeout(() => reject(new Error(`not ready: ${out}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    child.stdout.on('data', (d) => {
      out += d;
      urls.length = 0;
      for (const m of out.matchAll(/listening on (\S+)$/gm)) urls.push(m[1]);
      if (urls.length >= count) {
        clearTimeout(timer);
        resolve({ child, urls: [...urls], stop: () => child.kill('SIGKILL') });
      }
    });
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One closed-loop autocannon run; resolves with requests/s and latency quantiles (ms). */
export function load({ url, body, headers = {}, connections, seconds }) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, connections, duration: seconds, pipelining: 1 },
      (err, r) => {
        if (err) return reject(err);
        resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, total: r.requests.total });
      },
    );
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export async function cpuSeconds(pid) {
  const { readFile } = await import('node:fs/promises');
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
