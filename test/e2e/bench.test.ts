/** `aigw bench` as users run it: real processes, real gateways, the verdicts the issue asks for. */
import { createServer, request } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw, startAigw } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-test-'));

describe('aigw bench', () => {
  it("finds Envoy's 1 MiB truncation in buffer-gotcha.yaml, and --assert truncations==0 fails the run", async () => {
    const r = await runAigw([
      'bench',
      '-c',
      'profiles/buffer-gotcha.yaml',
      '--model',
      'llama-3-70b',
      '--scenario',
      'long',
      '--long-sizes',
      '256Ki,1Mi,4Mi',
      '--assert',
      'truncations==0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/256KiB body\s+complete/);
    expect(r.stdout).toMatch(/1MiB body\s+truncated at 1048576 bytes of \d+/);
    expect(r.stdout).toMatch(/4MiB stream complete/);
    expect(r.stdout).toContain('FAIL truncations==0');
  }, 120_000);

  it("finds no truncation in demo.yaml, and its split agrees with the gateway's own stats", async () => {
    const json = join(dir, 'demo.json');
    const r = await runAigw([
      'bench',
      '-c',
      'profiles/demo.yaml',
      '--model',
      'llama-3-70b',
      '--scenario',
      'long',
      '--scenario',
      'split',
      '--long-sizes',
      '256Ki,2Mi',
      '--duration',
      '3s',
      '--assert',
      'truncations==0',
      '--assert',
      'split.vllm-llama-v2=5±1.5',
      '--assert',
      'split.gatewayDisagreement<1',
      '--json',
      json,
    ]);
    expect(r.stdout).toContain('ok   truncations==0');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report).toMatchObject({ version: 1, env: { model: 'llama-3-70b' }, figures: { 'long.truncations': 0 } });
    expect(report.figures['split.requests']).toBeGreaterThan(200);
  }, 180_000);

  it('sweeps the limits of buffer-gotcha.yaml, sees every abort reach the backend, and agrees on tokens', async () => {
    const r = await runAigw([
      'bench',
      '-c',
      'profiles/buffer-gotcha.yaml',
      '--model',
      'llama-3-70b',
      '--scenario',
      'sweep',
      '--scenario',
      'cancel',
      '--scenario',
      'accounting',
      '--long-sizes',
      '16Mi',
      '--assert',
      'cancel.worstMs<1000',
      '--assert',
      'accounting.disagreement==0',
      '--assert',
      'sweep.answerBytes<1048577',
    ]);
    expect(r.stdout).toMatch(/largest request body 7\.\dMiB \(beyond: 413 request_too_large\)/);
    expect(r.stdout).toMatch(/largest non-streamed answer (\d+KiB|1\.0MiB) \(beyond: cut at 1048576 bytes\)/);
    expect(r.stdout).toMatch(/largest stream 16\.0MiB/);
    expect(r.stdout).toMatch(/mid-stream\s+backend socket closed \d+ ms after the client left/);
    expect(r.code, r.stdout).toBe(0);
  }, 180_000);

  it('exits 2 on a malformed --assert before it sends anything (contract §1: bad usage)', async () => {
    let requests = 0;
    const target = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
      const r = await runAigw([
        'bench',
        '--target',
        url,
        '--model',
        'm',
        '--scenario',
        'throughput',
        '--duration',
        '1s',
        '--assert',
        'p99<<3',
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--assert: cannot read "p99<<3"');
      expect(requests).toBe(0);
    } finally {
      target.close();
    }
  }, 30_000);

  it('works against a foreign gateway with --target (a plain proxy in front of the mocks)', async () => {
    const mocks = await startAigw(['mock-backends', '--vllm', 'plain=0'], 1);
    const upstream = new URL(mocks.urls.plain!);
    const proxy = createServer((req, res) => {
      const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const target = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const json = join(dir, 'foreign.json');
      const r = await runAigw([
        'bench',
        '--target',
        target,
        '--model',
        'any-model',
        '--scenario',
        'stream',
        '--scenario',
        'long',
        '--scenario',
        'split',
        '--long-sizes',
        '256Ki,1Mi',
        '--expect',
        'plain=100',
        '--duration',
        '2s',
        '--assert',
        'truncations==0',
        '--assert',
        'stream.fidelity==1',
        '--json',
        json,
      ]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/plain\s+100%/);
      const report = JSON.parse(readFileSync(json, 'utf8'));
      expect(report.figures['stream.corrupted']).toBe(0);
      writeFileSync(
        join(dir, 'worse.json'),
        JSON.stringify({ ...report, figures: { ...report.figures, 'ttft.p50': report.figures['ttft.p50'] * 3 + 10 } }),
      );
      const c = await runAigw(['bench', '--compare', json, '--compare', join(dir, 'worse.json')]);
      expect(c.code).toBe(1);
      expect(c.stdout).toMatch(/REGRESSION ttft\.p50/);
    } finally {
      proxy.close();
      await mocks.stop('SIGKILL');
    }
  }, 120_000);

  it('measures stickiness over the sessions that were answered twice: 100 % of them with a sticky header', async () => {
    const profile = join(dir, 'sticky.yaml');
    writeFileSync(
      profile,
      readFileSync('profiles/demo.yaml', 'utf8').replace(
        '    fallbacks: [qwen-2.5-72b]\n',
        '    fallbacks: [qwen-2.5-72b]\n    sticky: { header: x-session }\n',
      ),
    );
    const json = join(dir, 'sticky.json');
    const r = await runAigw(['bench', '-c', profile, '--model', 'llama-3-70b', '--scenario', 'split', '--duration', '1s', '--json', json]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('sticky by x-session: 100% of 100 sessions kept their backend');
    expect(JSON.parse(readFileSync(json, 'utf8')).figures['split.stickiness']).toBe(1);
  }, 120_000);
});
