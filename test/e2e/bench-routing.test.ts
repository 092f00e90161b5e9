/**
 * The routing scenarios as users run them (`aigw bench --scenario prefix|latency|cost`, real processes, own
 * fleets), small enough for `npm test`: issue 13's comparisons with margins an order of magnitude wider
 * than the noise of a shared machine (prefill made costly so that it, not the machine, sets the TTFT; the
 * acceptance-sized runs are the README's commands). And the `split` scenario under every strategy: a canary
 * keeps its share whatever chooses among the replicas.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveFeed } from '../../src/bench/live.js';
import { split } from '../../src/bench/split.js';
import type { BenchContext } from '../../src/bench/context.js';
import { useGateway } from '../helpers/gateway.js';
import { runAigw } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-routing-'));
const report = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { figures: Record<string, number | null> };

describe('aigw bench: the routing scenarios', () => {
  it('prefix: a fraction of weighted’s prefill and TTFT, from the mocks’ own counts, with the load kept even', async () => {
    const json = join(dir, 'prefix.json');
    const r = await runAigw([
      'bench',
      '--model',
      'chat',
      '--scenario',
      'prefix',
      '--routing',
      'conversations=10,turns=5,shared=0,system=500,blocks=256,answer=8,prefill=1,strategies=weighted+prefix',
      '--connections',
      '8',
      '--assert',
      'prefix.prefillRatio<=0.6',
      '--assert',
      'prefix.ttftRatio<=0.6',
      '--json',
      json,
    ]);
    expect(r.stdout).toContain('ok   prefix.prefillRatio<=0.6');
    expect(r.code).toBe(0);
    const f = report(json).figures;
    // Prefix keeps each conversation on the replica that holds its history and computes little more than
    // each new turn (hit rate 0.72–0.75 in 7 runs). Weighted finds a history only when its rotation happens
    // to come back to that replica in time, which depends on the order answers arrive in: 0.18–0.32 in 22
    // runs here, 0.37 once on a loaded CI machine. A broken prefix strategy reads like weighted (ratio ~1).
    expect(f['prefix.prefillRatio']).toBeLessThan(0.6);
    expect(f['prefix.prefix.hitRate']! - f['prefix.weighted.hitRate']!).toBeGreaterThan(0.2);
    expect(f['prefix.prefix.loadFactor']).toBeLessThan(1.5);
    expect(f['prefix.weighted.errors']).toBe(0);
    expect(f['prefix.prefix.errors']).toBe(0);
  }, 120_000);

  it('latency: most new requests avoid a replica made 5× slower within 5 s, and it has traffic back within 10 s', async () => {
    const json = join(dir, 'latency.json');
    const r = await runAigw([
      'bench',
      '--model',
      'chat',
      '--scenario',
      'latency',
      '--routing',
      'strategies=latency',
      '--duration',
      '20s',
      '--connections',
      '8',
      '--assert',
      'latency.latency.avoided>=0.8',
      '--assert',
      'latency.latency.avoidMs<=5s',
      '--assert',
      'latency.latency.recoveryMs<=10s',
      '--json',
      json,
    ]);
    expect(r.stdout).toMatch(/latency\s+\d/);
    expect(r.code).toBe(0);
    const f = report(json).figures;
    // Before the slowdown it had its fair share (a quarter), while slow a small fraction of it.
    expect(f['latency.latency.shareBefore']).toBeGreaterThan(0.1);
    expect(f['latency.latency.shareWhileSlow']).toBeLessThan(f['latency.latency.shareBefore']! / 2);
  }, 120_000);

  it('cost: the cheap replicas serve what fits them, the dear model only what does not', async () => {
    const json = join(dir, 'cost.json');
    const r = await runAigw([
      'bench',
      '--model',
      'chat',
      '--scenario',
      'cost',
      '--routing',
      'requests=60,strategies=weighted+cost',
      '--connections',
      '8',
      '--assert',
      'cost.saving>=0.5',
      '--assert',
      'cost.cost.overflows==0',
      '--json',
      json,
    ]);
    expect(r.code).toBe(0);
    const f = report(json).figures;
    expect(f['cost.weighted.overflows']).toBeGreaterThan(0);
    // The gateway's own account (/aigw/stats) agrees with the bench's, priced from usage.
    expect(f['cost.cost.gatewayUsdPer1k']).toBeCloseTo(f['cost.cost.usdPer1kAll']!, 5);
  }, 120_000);

  it('refuses a bad --routing with the key and what it takes', async () => {
    const r = await runAigw(['bench', '--model', 'chat', '--scenario', 'prefix', '--routing', 'turns=0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--routing turns takes an integer from 1 to 100, got "0"');
  });
});

const STRATEGIES = ['weighted', 'least-request', 'latency', 'prefix', 'cost'] as const;
const PRICE = 'pricing: { input: 1, output: 2 }';

describe('the split scenario under every strategy', async () => {
  const models = STRATEGIES.map(
    (s) => `  canary-${s}:
    strategy: ${s}
    targets:
      - { backend: r1, model: m, weight: 19, ${PRICE} }
      - { backend: r2, model: m, weight: 19, ${PRICE} }
      - { backend: canary, model: m, weight: 2, ${PRICE} }`,
  );
  const gw = await useGateway(`
version: 1
backends:
  r1: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
  r2: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
  canary: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
models:
${models.join('\n')}
`);

  const title =
    '%s: 95/5 between the replicas and the canary to one request, the gateway agreeing (weighted: 47.5/47.5/5, chi-square p > 0.01)';
  it.each(STRATEGIES)(title, async (s) => {
    const ctx = {
      target: { url: gw.url, admin: gw.adminUrl, mocks: {} },
      model: `canary-${s}`,
      apiKey: undefined,
      limitedKey: undefined,
      profile: gw.stack.profile(),
      durationMs: 2500,
      connections: 8,
      rate: undefined,
      burstiness: 1,
      workload: undefined,
      slo: undefined,
      longSizes: undefined,
      expect: { r1: 47.5, r2: 47.5, canary: 5 },
      pacer: undefined,
      live: new LiveFeed(),
      progress: () => {},
    } satisfies BenchContext;
    const r = await split(ctx);
    const n = Number(r.figures['split.requests']);
    expect(n).toBeGreaterThan(40);
    // Within the group of replicas the strategy chooses: only weighted promises an even split there (latency
    // follows whichever replica the machine happens to serve faster, so a chi-square over r1/r2 says nothing).
    if (s === 'weighted') expect(r.figures['split.p']).toBeGreaterThan(0.01);
    // Smooth weighted round-robin between the groups: exact over every 20 requests, so off by one request at most.
    expect(Math.abs(Number(r.figures['split.canary']) - 5)).toBeLessThanOrEqual(100 / n + 0.001);
    expect(r.figures['split.gatewayDisagreement']).toBeLessThan(1);
  });
});
