/**
 * The young generation stays small while a command's modules load, and grows again afterwards. Each case
 * runs in its own Node process (V8 flags and heap sizes are per process) and reports the new space's size.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../../dist/', import.meta.url).href;

/** New-space size in bytes after loading `serve` (small: through the helper), then after a load that keeps what it allocates. */
async function youngGeneration(small: boolean): Promise<{ loaded: number; grown: number }> {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { loadWithSmallYoungGeneration } from '${dist}core/v8-tuning.js';
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const load = () => import('${dist}cli/serve.js');
    await (${small} ? loadWithSmallYoungGeneration(load) : load());
    const loaded = newSpace();
    const kept = [];
    for (let i = 0; i < 400_000; i++) kept.push({ i, s: 'x'.repeat(i % 50) + i });
    console.log(JSON.stringify({ loaded, grown: newSpace(), n: kept.length }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout);
}

describe('loading a command with a small young generation', () => {
  it('leaves the young generation a fraction of what loading grows it to, and lets it grow under load afterwards', async () => {
    const [plain, small] = await Promise.all([youngGeneration(false), youngGeneration(true)]);

    expect(small.loaded).toBeLessThan(plain.loaded / 2);
    // Growth is restored: allocation that survives grows the young generation again.
    expect(small.grown).toBeGreaterThan(small.loaded);
  });
});
