/** The `aigw` binary as a user runs it: exit codes, ready lines, signals (contract §1). */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runAigw, startAigw } from '../helpers/cli.js';

describe('aigw validate', () => {
  it('exits 0 on a valid profile and says what it holds', async () => {
    const r = await runAigw(['validate', '-c', 'profiles/demo.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('profiles/demo.yaml: ok — 3 models, 4 backends, 2 tenants');
  });

  it('prints every problem with file:line:col and key path, and exits 2', async () => {
    const r = await runAigw(['validate', '-c', 'fixtures/profiles/errors/unknown-key.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'fixtures/profiles/errors/unknown-key.yaml:5:5: error: backends.a.apikey: unknown key "apikey" (did you mean "apiKey"?)',
    );
    expect(r.stderr).toContain('fixtures/profiles/errors/unknown-key.yaml:8:29: error: models.m.targets[0].wieght:');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('reports a missing file as a problem, not a stack trace', async () => {
    const r = await runAigw(['validate', '-c', 'nope.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.yaml:1:1: error: cannot read the profile: no such file');
  });

  it('exits 2 on bad usage', async () => {
    expect((await runAigw(['validate'])).code).toBe(2);
    expect((await runAigw(['frobnicate'])).code).toBe(2);
    const r = await runAigw(['mock-backends', '--vllm', 'no-port']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vllm expects NAME=PORT');
  });
});

describe('aigw --version', () => {
  it("prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runAigw([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });
});

describe('aigw mock-backends', () => {
  it('serves every mock: backend of a profile, prints one ready line each, and exits 0 on SIGTERM', async () => {
    const run = await startAigw(['mock-backends', '-c', 'fixtures/profiles/mocks-port0.yaml'], 3);
    expect(run.stdout()).toMatch(/^mock vllm-llama-v1 \(vllm\) listening on http:\/\/127\.0\.0\.1:\d+$/m);
    expect(run.stdout()).toMatch(/^mock tei-bge \(tei\) listening on http:\/\/127\.0\.0\.1:\d+$/m);
    const models = (await (await fetch(`${run.urls['vllm-llama-v2']}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['meta-llama/Llama-3-70B-Instruct']);
    const info = (await (await fetch(`${run.urls['tei-bge']}/info`)).json()) as { model_id: string; dimensions: number };
    // A mock's models default to the upstream names the profile sends it.
    expect(info).toMatchObject({ model_id: 'BAAI/bge-large-en-v1.5', dimensions: 384 });
    expect(await run.stop('SIGTERM')).toBe(0);
  });

  it('starts ad-hoc mocks from flags', async () => {
    const run = await startAigw(['mock-backends', '--vllm', 'a=0', '--tei', 'b=0'], 2);
    const r = await fetch(`${run.urls.a}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'anything', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    expect(r.headers.get('x-mock-backend')).toBe('a');
    expect(((await r.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
    expect(await run.stop('SIGINT')).toBe(0);
  });

  it('refuses an invalid profile with exit 2', async () => {
    const r = await runAigw(['mock-backends', '-c', 'fixtures/profiles/errors/bad-enum.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad-enum.yaml:6:50: error: backends.a.mock.kind');
  });
});
