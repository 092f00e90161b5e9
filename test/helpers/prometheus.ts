/**
 * A real Prometheus (Debian's `prometheus`) for a test file: its own free port, a 1 s scrape interval against
 * one target, storage in a temp dir, stopped after the file. `prometheusAvailable` is false where none is installed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { cleanupScope } from './cleanup.js';

const BIN = process.env.PROMETHEUS_BIN ?? 'prometheus';
export const prometheusAvailable = spawnSync(BIN, ['--version']).status === 0;

/** One element of an instant query's vector result. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface TestPrometheus {
  url: string;
  /** Evaluates `expr` now through /api/v1/query; throws with Prometheus's own message on a bad expression. */
  query(expr: string): Promise<PromSample[]>;
  /** Scrapes of the target so far (each a sample of `up`). */
  scrapes(): Promise<number>;
  /** Resolves once `n` more scrapes than now have happened. */
  waitForScrapes(n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `target` is an http://HOST:PORT base URL whose /metrics Prometheus scrapes every second. */
export async function usePrometheus(target: string, bearer?: string): Promise<TestPrometheus> {
  const cleanupAfter = cleanupScope();
  const dir = mkdtempSync(join(tmpdir(), 'aigw-prom-'));
  const { host } = new URL(target);
  const auth = bearer ? `\n    authorization: { credentials: "${bearer}" }` : '';
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: aigw
    metrics_path: /metrics${auth}
    static_configs: [{ targets: ["${host}"] }]
`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const query = async (expr: string): Promise<PromSample[]> => {
    const r = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
    const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
    if (body.data!.resultType !== 'vector') throw new Error(`expected a vector from ${expr}, got ${body.data!.resultType}`);
    return body.data!.result;
  };
  const scrapes = async () => Number((await query('count_over_time(up{job="aigw"}[1h])'))[0]?.value[1] ?? 0);
  const p: TestPrometheus = {
    url,
    query,
    scrapes,
    async waitForScrapes(n, timeoutMs = 20_000) {
      const want = (await scrapes()) + n;
      const end = Date.now() + timeoutMs;
      while ((await scrapes()) < want) {
        if (Date.now() > end) throw new Error(`Prometheus did not scrape ${n} more times in ${timeoutMs} ms: ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cleanupAfter(() => p.stop());
  return p;
}
