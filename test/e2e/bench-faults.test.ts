/**
 * Harness truth: a deliberately broken proxy between the bench and a clean aigw plants one fault at a
 * time, and the bench must flag each with the right --assert; the clean path (aigw alone, and nginx in
 * front of a mock) must raise no flag at all.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, runAigw, startAigw } from '../helpers/cli.js';
import { hasNginx, startNginx } from '../helpers/nginx.js';
import { coalescing, cutting, delayingFirstChunk, overAdmitting, type Planted, skewedSplit } from '../helpers/planted-proxies.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-faults-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

/** Two paced vLLM mocks (50 tokens/s, so a held-back event is visible) and the profile of a 95/5 canary. */
const backends = (v1: string, v2: string) => `backends:
  v1: { url: ${v1}, mock: { kind: vllm, models: [up], tokensPerSecond: 50 } }
  v2: { url: ${v2}, mock: { kind: vllm, models: [up], tokensPerSecond: 50 } }
`;

let mocks: Running;
let gw: Running;
let profile: string;
let gateway: string;

beforeAll(async () => {
  const onlyMocks = `version: 1\n${backends('http://127.0.0.1:0', 'http://127.0.0.1:0')}models: { up: { targets: [{ backend: v1 }] } }\n`;
  mocks = await startAigw(['mock-backends', '-c', file('mocks.yaml', onlyMocks)], 2);
  profile = file(
    'profile.yaml',
    `version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
limits: { rateWindow: 2s }
${backends(mocks.urls.v1!, mocks.urls.v2!)}models:
  m: { targets: [{ backend: v1, model: up, weight: 95 }, { backend: v2, model: up, weight: 5 }] }
tenants:
  free: { keys: [sk-free] }
  limited: { keys: [sk-limited], limits: { tpm: 6000 } }
`,
  );
  gw = await startAigw(['serve', '-c', profile, '--log', 'off'], 2);
  gateway = gw.urls.gateway!;
}, 30_000);

afterAll(async () => {
  await gw?.stop('SIGKILL');
  await mocks?.stop('SIGKILL');
});

interface Report {
  figures: Record<string, number | null>;
}

async function bench(target: string, name: string, args: string[], hints = profile, model = 'm') {
  const json = join(dir, `${name}.json`);
  const r = await runAigw(['bench', '--target', target, '-c', hints, '--model', model, '--api-key', 'sk-free', '--json', json, ...args]);
  let report: Report = { figures: {} };
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  } catch {
    /* the run failed before writing it: the exit code and output say why */
  }
  return { ...r, report };
}

interface FaultCase {
  name: string;
  plant: () => Promise<Planted>;
  args: string[];
  assert: string;
  /** What the planted run must report, beyond failing the assertion. */
  check(figures: Report['figures'], stdout: string): void;
}

const cases: FaultCase[] = [
  {
    name: '(a) an SSE proxy that coalesces events (several per write, every 50 ms)',
    plant: () => coalescing(gateway, 50),
    args: ['--scenario', 'stream', '--duration', '2s'],
    assert: 'stream.coalesced==0',
    check: (f) => {
      expect(f['stream.coalesced']).toBeGreaterThan(0);
      expect(f['stream.eventsPerRead']).toBeGreaterThan(1.5);
    },
  },
  {
    name: '(b) a proxy that cuts bodies at 1 MiB with a clean end',
    plant: () => cutting(gateway, 1024 * 1024),
    args: ['--scenario', 'long', '--long-sizes', '256Ki,2Mi'],
    assert: 'truncations==0',
    check: (f, out) => {
      expect(f['long.truncatedAt']).toBe(1048576);
      expect(out).toMatch(/2MiB body\s+truncated at 1048576 bytes/);
      expect(out).toMatch(/2MiB stream\s+truncated at 1048576 bytes/);
      expect(out).toMatch(/256KiB body\s+complete/);
    },
  },
  {
    name: '(c) a 90/10 split where 95/5 is expected',
    plant: () => skewedSplit(gateway, mocks.urls.v2!, 'up'),
    args: ['--scenario', 'split', '--duration', '2s'],
    assert: 'split.p>=0.01',
    check: (f) => {
      expect(f['split.p']).toBeLessThan(0.01);
      expect(f['split.v2']).toBeGreaterThan(7);
    },
  },
  {
    name: '(d) a limiter that admits 20 % over its TPM',
    plant: () => overAdmitting(gateway, 'sk-free', 6000, 2000, 1.2),
    args: ['--scenario', 'ratelimit', '--duration', '8s'],
    assert: 'ratelimit.ratio=1±0.05',
    check: (f) => expect(f['ratelimit.ratio']).toBeGreaterThan(1.1),
  },
  {
    name: '(e) a gateway that adds 25 ms before the first chunk',
    plant: () => delayingFirstChunk(gateway, 25),
    args: ['--scenario', 'stream', '--duration', '1s'],
    assert: 'stream.addedTtft<15ms',
    check: (f) => expect(f['stream.addedTtft']).toBeGreaterThanOrEqual(20),
  },
];

describe('the bench catches planted faults', () => {
  it('raises no flag on the clean path (aigw alone): every assertion below holds', async () => {
    const limitCase = cases.find((c) => c.args.includes('ratelimit'))!;
    const r = await bench(gateway, 'clean', [
      ...['--scenario', 'stream', '--scenario', 'long', '--scenario', 'split', '--duration', '2s', '--long-sizes', '256Ki,2Mi'],
      ...cases.filter((c) => c !== limitCase).flatMap((c) => ['--assert', c.assert]),
      ...['--assert', 'stream.fidelity==1'],
    ]);
    expect(r.stdout, r.stderr).toContain(`ok   ${cases[0]!.assert}`);
    expect(r.report.figures['stream.coalesced']).toBe(0);
    expect(r.report.figures['long.truncatedAt']).toBeNull();
    expect(r.code, r.stdout).toBe(0);
    // The limit is judged on steady windows (after the first), so this run lasts four of them.
    const l = await bench(gateway, 'clean-limit', [
      ...limitCase.args,
      '--assert',
      limitCase.assert,
      '--assert',
      'ratelimit.maxWindowRatio<=1.05',
    ]);
    expect(l.stdout).toMatch(/limit 6000 tokens per 2s/);
    expect(l.code, l.stdout).toBe(0);
  }, 90_000);

  it.each(cases)(
    '$name',
    async (c) => {
      const proxy = await c.plant();
      try {
        const r = await bench(proxy.url, c.name.slice(1, 2), [...c.args, '--assert', c.assert]);
        expect(r.stdout, r.stderr).toContain(`FAIL ${c.assert}`);
        expect(r.code).toBe(1);
        c.check(r.report.figures, r.stdout);
      } finally {
        await proxy.close();
      }
    },
    60_000,
  );
});

describe.skipIf(!hasNginx)('the bench against nginx in front of a mock', () => {
  it('raises no false alarm: no coalescing, no truncation, no added TTFT to speak of', async () => {
    const nginx = await startNginx(mocks.urls.v1!);
    const hints = file(
      'nginx.yaml',
      `version: 1\n${backends(mocks.urls.v1!, mocks.urls.v2!)}models:\n  up: { targets: [{ backend: v1 }] }\n`,
    );
    try {
      const r = await bench(
        nginx.url,
        'nginx',
        [
          ...['--scenario', 'stream', '--scenario', 'long', '--duration', '2s', '--long-sizes', '256Ki,2Mi'],
          ...['--assert', 'stream.coalesced==0', '--assert', 'truncations==0', '--assert', 'stream.addedTtft<15ms'],
          ...['--assert', 'stream.fidelity==1'],
        ],
        hints,
        'up',
      );
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      await nginx.stop();
    }
  }, 60_000);
});

if (!hasNginx) process.stderr.write('\nSKIPPED: the nginx false-alarm test needs /usr/sbin/nginx (apt-get install nginx-light)\n\n');
