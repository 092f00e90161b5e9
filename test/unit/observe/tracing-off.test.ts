/**
 * Tracing off loads nothing of OpenTelemetry: a fresh Node process (the built dist/, as `aigw` runs it) logs
 * every module it resolves through a loader hook; with no tracing config none is under @opentelemetry/, not even
 * while a whole gateway (the stack, with a mock) proxies a request that carries a traceparent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TRACING = new URL('../../../dist/observe/tracing.js', import.meta.url).href;

const STACK = new URL('../../../dist/cli/stack.js', import.meta.url).href;
const PROFILE = new URL('../../../dist/profile/load.js', import.meta.url).href;

/** Every module URL a fresh Node process resolves while running `script` (an ES module body). */
function resolvedBy(script: string): string[] {
  if (!existsSync(new URL(TRACING))) throw new Error('dist/observe/tracing.js is missing: run `npm run build` first (npm test does)');
  const dir = mkdtempSync(join(tmpdir(), 'aigw-tracing-off-'));
  const log = join(dir, 'resolved.log');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

function modulesLoaded(withConfig: boolean): string[] {
  // Nothing is sampled (ratio 0, an unsampled parent), so nothing is sent to the closed port.
  const config = withConfig ? `{ otlp: 'http://127.0.0.1:9', sampleRatio: 0, captureContent: false }` : 'undefined';
  return resolvedBy(`
const { createTracing, NOOP_TRACING } = await import(${JSON.stringify(TRACING)});
const t = await createTracing(${config});
const span = t.startRequest({ endpoint: 'chat', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
span.startAttempt({ backend: 'b', attempt: 1 }).end({ status: 200 });
span.end(200);
if ((t === NOOP_TRACING) === ${withConfig}) process.exit(3);
await t.shutdown();
`);
}

describe('tracing off', () => {
  it('resolves no OpenTelemetry module', () => {
    const loaded = modulesLoaded(false);
    expect(loaded.some((u) => u.endsWith('/dist/observe/tracing.js'))).toBe(true);
    expect(loaded.filter((u) => u.includes('@opentelemetry'))).toEqual([]);
  });

  it('a whole gateway serving a traced-looking request resolves none either', () => {
    const loaded = resolvedBy(`
const { startStack } = await import(${JSON.stringify(STACK)});
const { parseProfile } = await import(${JSON.stringify(PROFILE)});
const yaml = 'version: 1\\nbackends: { m: { url: "http://127.0.0.1:1", mock: { kind: vllm } } }\\nmodels: { llama: { targets: [{ backend: m }] } }\\n';
const r = parseProfile(yaml, 'p.yaml', {});
if (!r.ok) throw new Error(JSON.stringify(r.problems));
const stack = await startStack(r.profile, { listen: '127.0.0.1:0', admin: '127.0.0.1:0', mocks: true, mocksOnFreePorts: true });
const res = await fetch(stack.url + '/v1/chat/completions', {
  method: 'POST',
  headers: { 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  body: JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
});
if (res.status !== 200) throw new Error('status ' + res.status);
await res.text();
await stack.close(100);
`);
    expect(loaded.some((u) => u.endsWith('/dist/gateway/handle.js'))).toBe(true);
    expect(loaded.filter((u) => u.includes('@opentelemetry'))).toEqual([]);
  });

  it('resolves the SDK once configured (the hook sees it)', () => {
    const loaded = modulesLoaded(true);
    expect(loaded.some((u) => u.includes('@opentelemetry/sdk-trace-base'))).toBe(true);
    expect(loaded.some((u) => u.includes('@opentelemetry/exporter-trace-otlp-http'))).toBe(true);
  });
});
