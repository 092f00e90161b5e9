/** `aigw serve` as a real process: ready lines, logs, reload (signal and file), drain (contract §1, case 51, 52). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { rawPost, streamedText } from '../helpers/raw.js';
import { runAigw, startAigw } from '../helpers/cli.js';
import { useRawUpstream } from '../helpers/upstream.js';

const profile = (models: string) => `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
backends:
  v1: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up-a] } }
  v2: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up-b] } }
models:
${models}
`;
const AB = `  a: { targets: [{ backend: v1, model: up-a }] }\n  b: { targets: [{ backend: v2, model: up-b }] }`;
const AC = `  a: { targets: [{ backend: v1, model: up-a }] }\n  c: { targets: [{ backend: v2, model: up-b }] }`;

function tempProfile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aigw-')), 'profile.yaml');
  writeFileSync(file, text);
  return file;
}

const logLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('aigw serve --mocks', () => {
  it('prints ready lines for mocks, gateway and admin, serves the openai client, and logs one JSON line per request', async () => {
    const run = await startAigw(['serve', '-c', tempProfile(profile(AB)), '--mocks', '--log', 'json'], 4);
    expect(Object.keys(run.urls).sort()).toEqual(['admin', 'gateway', 'v1', 'v2']);
    const client = new OpenAI({ baseURL: `${run.urls.gateway}/v1`, apiKey: 'x', maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect(r.model).toBe('up-a');
    expect((await fetch(`${run.urls.admin}/healthz`)).status).toBe(200);
    await eventually(() => logLines(run.stdout()).some((l) => l.type === 'request'));
    expect(logLines(run.stdout()).find((l) => l.type === 'request')).toMatchObject({
      model: 'a',
      backend: 'v1',
      status: 200,
      tokens: { output: 3 },
    });
    expect(await run.stop('SIGTERM')).toBe(0);
  });

  const reloadTitle =
    'reloads on SIGHUP and on file change; a bad profile is rejected and the old one keeps serving; streams in flight finish';
  it(reloadTitle, async () => {
    const file = tempProfile(profile(AB));
    const run = await startAigw(['serve', '-c', file, '--mocks', '--log', 'json'], 4);
    const gw = run.urls.gateway!;
    const chat = (model: string) =>
      rawPost(`${gw}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });

    // A stream that outlives the reload, on the profile it started with (under way before the reload).
    let started: () => void = () => {};
    const inflight = rawPost(
      `${gw}/v1/chat/completions`,
      { model: 'b', messages: [{ role: 'user', content: 'long' }], max_tokens: 30, stream: true },
      { headers: { 'x-mock-tps': '20' }, onChunk: () => started() },
    );
    await new Promise<void>((r) => (started = r));
    writeFileSync(file, profile(AC));
    run.child.kill('SIGHUP');
    await eventually(async () => (await chat('c')).status === 200);
    expect((await chat('b')).status).toBe(404);
    const s = await inflight;
    expect(s.body.toString()).toContain('[DONE]');
    expect(streamedText(s.events).split(' ')).toHaveLength(30);

    writeFileSync(file, 'version: 1\nbackends:\n  v1: { url: http://127.0.0.1:1 }\nmodels:\n  a: { targets: [{ backend: nope }] }\n');
    run.child.kill('SIGHUP');
    await eventually(() => logLines(run.stdout()).some((l) => l.type === 'reload' && l.ok === false));
    expect(run.stderr()).toMatch(/profile\.yaml:5:\d+: error: models\.a\.targets\[0\]\.backend: unknown backend "nope"/);
    expect((await chat('c')).status).toBe(200);

    // A change of the file alone is enough.
    writeFileSync(file, profile(AB));
    await eventually(async () => (await chat('b')).status === 200);
    expect(await run.stop('SIGTERM')).toBe(0);
  });

  /** A stream of `tokens` at 20 per second, resolved once under way (not after a fixed delay a loaded machine can outrun). */
  async function streamUnderWay(gateway: string, tokens: number) {
    let started: () => void = () => {};
    const under = new Promise<void>((r) => (started = r));
    const stream = rawPost(
      `${gateway}/v1/chat/completions`,
      { model: 'a', messages: [{ role: 'user', content: 'x' }], max_tokens: tokens, stream: true },
      { headers: { 'x-mock-tps': '20' }, onChunk: () => started() },
    );
    await under;
    return { stream }; // wrapped: an async function would otherwise wait for the whole stream
  }

  it('drains on SIGTERM: the stream in flight completes, then the process exits 0', async () => {
    const run = await startAigw(['serve', '-c', tempProfile(profile(AB)), '--mocks', '--log', 'off'], 4);
    const { stream } = await streamUnderWay(run.urls.gateway!, 20);
    const exit = run.stop('SIGTERM');
    const s = await stream;
    expect(s.ended).toBe('complete');
    expect(s.body.toString()).toContain('[DONE]');
    expect(await exit).toBe(0);
  });

  it('logs the requests the drain deadline cuts, one line each, before it exits 0', async () => {
    // A backend that takes a request and never answers: one request waits on it, two for its one connection.
    const silent = await useRawUpstream(() => {});
    const text = `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
timeouts: { drain: 300ms }
backends:
  s: { url: "${silent.url}", pool: { connections: 1, queue: 5 } }
models:
  m: { targets: [{ backend: s }] }
tenants:
  t: { keys: [k] }
`;
    const file = tempProfile(text);
    const run = await startAigw(['serve', '-c', file, '--log', 'json'], 2);
    const body = { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 };
    const headers = { authorization: 'Bearer k' };
    const cut = [1, 2, 3].map(() => rawPost(`${run.urls.gateway}/v1/chat/completions`, body, { headers }).catch(() => undefined));
    await eventually(() => silent.connections() === 1);
    // A reload (a new pool) while they wait: they stay on the retired runtime.
    writeFileSync(file, text.replace('drain: 300ms', 'drain: 300ms, idle: 11s'));
    run.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    expect(await run.stop('SIGTERM')).toBe(0);
    await Promise.all(cut);
    // Before: the cut responses closed a tick after the drain returned, and the log was detached by then.
    expect(logLines(run.stdout()).filter((l) => l.type === 'request')).toHaveLength(3);
  });

  it('a second signal while it drains stops it at once: exit 130 (SIGINT), not after the stream', async () => {
    const run = await startAigw(['serve', '-c', tempProfile(profile(AB)), '--mocks'], 4);
    // 400 tokens at 20 per second: far longer than the test.
    const { stream } = await streamUnderWay(run.urls.gateway!, 400);
    const first = run.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect(await run.stop('SIGINT')).toBe(130);
    expect(await first).toBe(130);
    expect((await stream).ended).not.toBe('complete');
  });

  it('refuses an invalid profile with exit 2 and the validation messages, listening on nothing (case 51)', async () => {
    const r = await runAigw(['serve', '-c', 'fixtures/profiles/errors/fallback-cycle.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fallback-cycle.yaml:7:16: error: models.x.fallbacks: fallback cycle: x → y → z → x');
    expect(r.stdout).not.toContain('listening');
  });
});
