// Shared helpers for the benchmark scripts: autocannon runs, medians, /proc CPU, arguments.
import autocannon from 'autocannon';

export const AIGW = new URL('../../bin/aigw.js', import.meta.url).pathname;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One closed-loop autocannon run; resolves with requests/s and latency quantiles (ms). */
export function load({ url, body, headers = {}, connections, seconds }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
        connections,
        duration: seconds,
        pipelining: 1,
      },
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
