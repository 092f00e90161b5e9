// The profiles aigw is measured with: its defaults (admin, metrics and events on), optionally one tenant whose key
// every bench request carries and whose limits are far above what the bench can send (auth + limit checks, no 429).
import { createHash } from 'node:crypto';

/** Sent by every client to every target, so request bytes are the same everywhere; only aigw + tenant checks it. */
export const BENCH_KEY = 'sk-bench-overhead-0123456789';

/**
 * `connections` (optional) raises the upstream connection cap, its queue and the in-flight cap for many streams;
 * `tracing` (optional, `{ otlp, sampleRatio }`) turns OpenTelemetry tracing on, exporting to that collector;
 * `strategy` (optional) routes with that strategy (prefix: the prompt's blocks hashed, the index looked up and
 * fed, on every request) — one target, as the plain row has, so the difference is the strategy's own cost.
 */
export function aigwProfile({ port, adminPort, upstream, connections, tenant, tracing, strategy, backlog = 4096 }) {
  const digest = createHash('sha256').update(BENCH_KEY).digest('hex');
  const tenants = tenant
    ? `tenants:
  bench:
    keys: ["sha256:${digest}"]
    models: [bench]
    limits: { tpm: 1000000000000, rpm: 1000000000, concurrency: 1000000 }
`
    : '';
  const caps = connections ? `, maxConnections: ${connections}, pool: { connections: ${connections}, queue: ${connections} }` : '';
  const observe = tracing ? `observe: { tracing: { otlp: "${tracing.otlp}", sampleRatio: ${tracing.sampleRatio} } }\n` : '';
  return `version: 1
listen: 127.0.0.1:${port}
admin: { listen: 127.0.0.1:${adminPort} }
${observe}limits: { listenBacklog: ${backlog}${connections ? `, maxInflight: ${Math.max(10_000, 2 * connections)}` : ''} }
backends:
  up: { url: "${upstream}"${caps} }
models:
  bench: { ${strategy ? `strategy: ${strategy}, ` : ''}targets: [{ backend: up, model: bench-up }] }
${tenants}`;
}
