// What bench:overhead compares: the upstream reached directly, nginx (the floor, when installed), the bare undici
// proxy and aigw in three set-ups. Gateways run on CPU 1, the upstream on CPU 0 (with the load generator).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AIGW } from './bench-util.js';
import { aigwProfile } from './aigw-profile.js';
import { findNginx, nginxSetup } from './nginx.js';
import { freePort } from './procs.js';
import { startProcess } from './targets.js';

const lib = (f) => new URL(`./${f}`, import.meta.url).pathname;
const PROBE = ['--import', new URL('./gateway-probe.js', import.meta.url).href];

/** Every target, in table order; `optional` ones run only when named in --only. */
export const TARGETS = [
  { name: 'direct', label: 'direct' },
  { name: 'nginx', label: 'nginx' },
  { name: 'bare', label: 'bare undici proxy' },
  // The bare proxy through undici's dispatch, no stream but node:http's: aigw's architecture without its policy.
  { name: 'dispatch', label: 'bare proxy, undici dispatch', optional: true },
  { name: 'aigw', label: 'aigw' },
  { name: 'aigw-tenant', label: 'aigw + tenant' },
  { name: 'aigw-log', label: 'aigw --log json' },
  { name: 'aigw-noadmin', label: 'aigw, admin off', optional: true },
  // Tracing: every request sampled and exported, or the SDK loaded with nothing sampled (the code's own cost).
  { name: 'aigw-trace', label: 'aigw + tracing (ratio 1)', optional: true, sampleRatio: 1 },
  { name: 'aigw-trace0', label: 'aigw + tracing (ratio 0)', optional: true, sampleRatio: 0 },
  { name: 'aigw-prefix', label: 'aigw, strategy prefix', optional: true },
  // Another build (--baseline DIR) with the same profiles: before and after in one run.
  { name: 'base', label: 'aigw (baseline build)', optional: true, baseline: true },
  { name: 'base-tenant', label: 'aigw + tenant (baseline build)', optional: true, baseline: true },
];

export const GATEWAY_CPU = 1;
const LOAD_CPU = 0;

/**
 * Starts the upstream and the chosen targets. `streams` (the largest --streams count, or 0) raises every
 * connection cap a gateway has, and the same listen backlog for every gateway (511 for the table, 4096 for streams).
 * `nullUsage`: the upstream's streamed chunks carry OpenAI's `"usage":null` (bench-upstream.js).
 */
export async function startTargets({ dir, only, streams, pin, notes, baseline, nullUsage = false }) {
  const cpu = (n) => (pin ? n : undefined);
  const upPort = await freePort();
  const upstream = await startProcess({
    name: 'upstream',
    cmd: process.execPath,
    args: [lib('bench-upstream.js'), '--port', String(upPort), '--backlog', '4096', ...(nullUsage ? ['--null-usage'] : [])],
    cpu: cpu(LOAD_CPU),
    ports: [upPort],
    dir,
  });
  const upUrl = `http://127.0.0.1:${upPort}`;
  const caps = streams ? streams + 64 : undefined;
  const backlog = streams ? 4096 : 511;
  const wanted = TARGETS.filter((t) => (only ? only.includes(t.name) : !t.optional));
  const out = [];
  const helpers = [];
  // A collector for the tracing rows, next to the upstream on the load CPU: the gateway pays for its spans, not for them being kept.
  let otlp;
  if (wanted.some((t) => t.sampleRatio !== undefined)) {
    const sinkPort = await freePort();
    helpers.push(
      await startProcess({
        name: 'otlp-sink',
        cmd: process.execPath,
        args: [lib('otlp-sink.js'), '--port', String(sinkPort)],
        cpu: cpu(LOAD_CPU),
        ports: [sinkPort],
        dir,
        stopSignal: 'SIGTERM',
      }),
    );
    otlp = `http://127.0.0.1:${sinkPort}`;
    notes.push('aigw + tracing: spans batched and exported over OTLP/HTTP to a sink on the load CPU that keeps nothing');
  }
  for (const t of wanted) {
    if (t.name === 'direct') {
      out.push({ ...t, url: upUrl });
      continue;
    }
    const port = await freePort();
    if (t.name === 'nginx') {
      const nginx = findNginx();
      if (!nginx) {
        notes.push('nginx: not installed (apt-get install nginx-light), so no floor column');
        continue;
      }
      const setup = nginxSetup({ bin: nginx.bin, dir, port, upstreamPort: upPort, connections: caps ?? 0, backlog });
      const proc = await startProcess({ name: t.name, ...setup, cpu: cpu(GATEWAY_CPU), ports: [port], dir, stopSignal: 'SIGTERM' });
      notes.push(`nginx: ${nginx.version}, 1 worker, worker_connections ${setup.workerConnections}, backlog ${backlog}`);
      out.push({ ...t, url: `http://127.0.0.1:${port}`, proc });
      continue;
    }
    if (t.name === 'bare' || t.name === 'dispatch') {
      const args = [...PROBE, lib('bare-proxy.js'), upUrl, '--port', String(port), '--backlog', String(backlog)];
      if (caps) args.push('--connections', String(caps));
      if (t.name === 'dispatch') args.push('--dispatch');
      const proc = await startProcess({ name: t.name, cmd: process.execPath, args, cpu: cpu(GATEWAY_CPU), ports: [port], dir, ipc: true });
      out.push({ ...t, url: `http://127.0.0.1:${port}`, proc });
      continue;
    }
    const adminPort = await freePort();
    const tracing = t.sampleRatio !== undefined ? { otlp, sampleRatio: t.sampleRatio } : undefined;
    const strategy = t.name === 'aigw-prefix' ? 'prefix' : undefined;
    let yaml = aigwProfile({
      port,
      adminPort,
      upstream: upUrl,
      connections: caps,
      tenant: t.name === 'aigw-tenant' || t.name === 'base-tenant',
      tracing,
      strategy,
      backlog,
    });
    if (t.name === 'aigw-noadmin') yaml = yaml.replace(/^admin: .*$/m, 'admin: { enabled: false }');
    const profile = join(dir, `${t.name}.yaml`);
    writeFileSync(profile, yaml);
    const log = t.name === 'aigw-log' ? 'json' : 'off';
    const proc = await startProcess({
      name: t.name,
      cmd: process.execPath,
      args: [...PROBE, t.baseline ? join(baseline, 'bin', 'aigw.js') : AIGW, 'serve', '-c', profile, '--log', log],
      cpu: cpu(GATEWAY_CPU),
      ports: t.name === 'aigw-noadmin' ? [port] : [port, adminPort],
      dir,
      ipc: true,
    });
    out.push({ ...t, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, proc });
  }
  if (wanted.some((t) => t.baseline)) notes.push(`baseline build: ${baseline}`);
  if (streams) notes.push(`aigw: limits.listenBacklog ${backlog}; upstream connections ${caps}`);
  return {
    upstream,
    upUrl,
    targets: out,
    stopAll: () => Promise.all([upstream, ...helpers, ...out.map((t) => t.proc).filter(Boolean)].map((p) => p.stop())),
  };
}
