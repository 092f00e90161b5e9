/** Open-loop load with a real workload (JSONL, multi-turn), SLO goodput, and a short ramp, against a started demo. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-load-'));

describe('aigw bench load shapes', () => {
  it('sends a JSONL workload open-loop at --rate, counts goodput under --slo, and ramps to a saturation verdict', async () => {
    const workload = join(dir, 'w.jsonl');
    writeFileSync(
      workload,
      [
        { prompt: 'Summarise the plot of a film you like. [[mock ttft=5ms tps=0]]', max_tokens: 24 },
        { conversation_id: 'c1', prompt: 'Name a colour. [[mock ttft=5ms tps=0]]', max_tokens: 4 },
        { conversation_id: 'c1', prompt: 'Now a darker one. [[mock ttft=5ms tps=0]]', max_tokens: 4 },
        {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hi [[mock ttft=5ms tps=0]]' },
          ],
          max_tokens: 8,
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const json = join(dir, 'load.json');
    const r = await runAigw([
      ...['bench', '-c', 'profiles/demo.yaml', '--model', 'llama-3-70b', '--scenario', 'throughput', '--scenario', 'stream'],
      ...['--rate', '20', '--burstiness', '0.5', '--workload', workload, '--slo', 'ttft:5s,e2el:10s', '--duration', '2s', '--ramp', '80'],
      ...['--json', json],
    ]);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`workload: ${workload}: 4 requests, 1 conversations`);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    expect(j.env).toMatchObject({ rate: 20, burstiness: 0.5, slo: 'ttft<=5000ms, e2el<=10000ms' });
    for (const s of ['throughput', 'stream']) {
      const m = j.scenarios[s].metrics;
      // Open loop: about 20 requests/s offered for 2 s, whatever the answers do.
      expect(m.completed + m.failed, s).toBeGreaterThan(15);
      expect(m.completed + m.failed, s).toBeLessThan(90);
      expect(m.request_goodput, s).toBeGreaterThan(0);
      expect(m.request_goodput, s).toBeLessThanOrEqual(m.request_throughput);
    }
    expect(j.scenarios.stream.metrics.tpot.median).toBeGreaterThanOrEqual(0);
    expect(j.figures['ramp.steps']).toBeGreaterThanOrEqual(2);
    expect(j.figures['ramp.steps']).toBeLessThanOrEqual(3);
    expect(j.figures['ramp.maxGoodput']).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^ramp {8}(saturation at ~\d+ req\/s offered|no saturation up to \d+ req\/s)/m);
  }, 120_000);
});
