/** `aigw bench --api anthropic`: the same scenarios driven through `POST /v1/messages`, translated or passed through. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-anthropic-'));

describe('aigw bench --api anthropic', () => {
  it('drives /v1/messages to vLLM mocks (translated): byte-exact streams and long answers, the 95/5 split, Anthropic error classes', async () => {
    const json = join(dir, 'demo.json');
    const r = await runAigw([
      'bench',
      '-c',
      'profiles/demo.yaml',
      '--model',
      'llama-3-70b',
      '--api',
      'anthropic',
      '--scenario',
      'stream,long,split,errors',
      '--long-sizes',
      '256Ki,1Mi',
      '--duration',
      '2s',
      '--connections',
      '4',
      '--assert',
      'truncations==0',
      '--assert',
      'stream.corrupted==0',
      '--assert',
      'split.vllm-llama-v2=5±2.5',
      '--assert',
      'errors.conformance==1',
      '--json',
      json,
    ]);
    expect(r.stdout, r.stderr).toContain("in Anthropic's Messages API");
    expect(r.stdout).toMatch(/1MiB body\s+complete/);
    expect(r.stdout).toMatch(/1MiB stream complete/);
    expect(r.stdout).toContain('ok   mid-stream failure → the stream throws (event: error)');
    expect(r.code, r.stdout).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.figures['stream.faithful']).toBe(1);
    expect(report.figures['split.requests']).toBeGreaterThan(50);
  }, 180_000);

  it('drives /v1/messages to an Anthropic mock (passed through)', async () => {
    const r = await runAigw([
      'bench',
      '-c',
      'fixtures/profiles/provider-mocks.yaml',
      '--model',
      'claude-sonnet',
      '--api',
      'anthropic',
      '--scenario',
      'stream,errors',
      '--duration',
      '2s',
      '--connections',
      '2',
      '--assert',
      'stream.corrupted==0',
      '--assert',
      'errors.conformance==1',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/streams byte-exact 100\.0%/);
  }, 120_000);

  it('refuses an unknown --api', async () => {
    const r = await runAigw(['bench', '--model', 'm', '--target', 'http://127.0.0.1:9', '--api', 'gemini']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--api takes openai or anthropic');
  });
});
