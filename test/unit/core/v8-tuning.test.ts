/**
 * The young generation stays small while a command's modules load, grows again afterwards, and — when serving
 * — grows only up to its cap. Each case runs in its own Node process (V8 flags and heap sizes are per process)
 * and reports the new space's size.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../../dist/', import.meta.url).href;
const MiB = 1024 * 1024;
const V8_MAJOR = Number.parseInt(process.versions.v8, 10);

async function runScript<T>(script: string, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env });
  return JSON.parse(stdout);
}

const NEW_SPACE = `const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;`;

/** New-space size in bytes after loading `serve` (small: through the helper), then after a load that keeps what it allocates. */
function youngGeneration(small: boolean) {
  return runScript<{ loaded: number; grown: number }>(`
    import { getHeapSpaceStatistics } from 'node:v8';
    import { loadWithSmallYoungGeneration } from '${dist}core/v8-tuning.js';
    ${NEW_SPACE}
    const load = () => import('${dist}cli/serve.js');
    await (${small} ? loadWithSmallYoungGeneration(load) : load());
    const loaded = newSpace();
    const kept = [];
    for (let i = 0; i < 400_000; i++) kept.push({ i, s: 'x'.repeat(i % 50) + i });
    console.log(JSON.stringify({ loaded, grown: newSpace(), n: kept.length }));`);
}

/**
 * The largest new space seen while a server-like loop runs: many short turns of the event loop, each allocating
 * objects of which the last 30,000 stay alive (requests in flight), so scavenges see survivors and V8 grows the
 * young generation. `cap`: capYoungGeneration's semi-space MiB, or none.
 */
function youngGenerationUnderLoad(cap: number | undefined, env?: NodeJS.ProcessEnv) {
  return runScript<{ max: number; capped: number }>(
    `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { setImmediate as turn } from 'node:timers/promises';
    import { capYoungGeneration } from '${dist}core/v8-tuning.js';
    ${NEW_SPACE}
    const capped = ${cap === undefined ? 'undefined' : `capYoungGeneration(${cap})`};
    const inFlight = new Array(30_000);
    let max = 0;
    for (let t = 0; t < 1500; t++) {
      for (let i = 0; i < 1000; i++) inFlight[(t * 1000 + i) % inFlight.length] = { i, s: 'x'.repeat(i % 50) + i };
      max = Math.max(max, newSpace());
      await turn();
    }
    console.log(JSON.stringify({ max, capped: capped === undefined ? 0 : 1 }));`,
    env,
  );
}

describe('loading a command with a small young generation', () => {
  it('leaves the young generation a fraction of what loading grows it to, and lets it grow under load afterwards', async () => {
    const [plain, small] = await Promise.all([youngGeneration(false), youngGeneration(true)]);

    expect(small.loaded).toBeLessThan(plain.loaded / 2);
    // Growth is restored: allocation that survives grows the young generation again.
    expect(small.grown).toBeGreaterThan(small.loaded);
  });
});

describe('the serving cap on the young generation', () => {
  it('lets V8 grow the young generation up to the cap and no further', async () => {
    const [uncapped, capped] = await Promise.all([youngGenerationUnderLoad(undefined), youngGenerationUnderLoad(4)]);

    // Two semi-spaces of 4 MiB; V8's own maximum is two of 16 (Node 20, 22), two of 64 (Node 24).
    const cap = 2 * 4 * MiB;
    if (V8_MAJOR < 13) expect(capped.max).toBe(cap);
    // V8 13 (Node 24) adds 256 KiB pages past the cap between collections (back to it at each), and about one run in
    // six grew a step past it before the cap could react (12 runs here, 17:10–17:20: 10.75–12.75 MiB, twice 16–18.5).
    else expect(capped.max).toBeLessThanOrEqual(3 * cap);
    expect(uncapped.max).toBeGreaterThan(capped.max);
  });

  it('leaves a young generation the user sized alone', async () => {
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=8` };
    const r = await youngGenerationUnderLoad(2, env);

    expect(r.capped).toBe(0);
    if (V8_MAJOR < 13) expect(r.max).toBe(2 * 8 * MiB);
    else {
      // V8 13 (Node 24) adds 256 KiB pages past its own maximum too between collections: 16–19.25 MiB in 88 runs
      // here, 24 at a time (2026-12-05), and 20.5 MiB once in CI. The bound still tells the user's 2 × 8 MiB from
      // the cap's 2 × 2 and from V8 13's own 2 × 64.
      expect(r.max).toBeGreaterThanOrEqual(2 * 8 * MiB);
      expect(r.max).toBeLessThanOrEqual(2 * 2 * 8 * MiB);
    }
  });
});
