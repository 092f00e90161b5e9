/**
 * A serving process keeps process.nextTick's inline caches monomorphic through quiet periods: full collections with
 * no tick queued free the tick objects' shape unless one is held (core/tick-shape.ts), and after a few such periods
 * nextTick builds every tick object through V8's runtime, 6–10× slower. Each case runs in its own Node process
 * (`--allow-natives-syntax`, to read nextTick's feedback with %DebugPrint) and counts its megamorphic literal stores.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../../dist/', import.meta.url).href;

/** Ten quiet periods (ticks, then full collections with none queued), then nextTick's megamorphic literal stores. */
async function megamorphicStores(serving: boolean): Promise<number> {
  const script = `
    ${serving ? `import { tuneV8ForServing } from '${dist}core/v8-tuning.js'; tuneV8ForServing();` : ''}
    const noop = () => {};
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 50; i++) process.nextTick(noop);
      await new Promise((r) => setImmediate(r));
      for (let g = 0; g < 3; g++) gc();
    }
    %DebugPrint(process.nextTick);`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', script],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout.split('\n').filter((l) => /DefineKeyedOwnPropertyInLiteral MEGAMORPHIC/.test(l)).length;
}

describe('process.nextTick through quiet periods', () => {
  it("stays monomorphic in a serving process (tuneV8ForServing holds a tick object's shape)", async (ctx) => {
    const unheld = await megamorphicStores(false);
    // The cliff is V8's: a Node whose nextTick does not fall off it without help has nothing here to prove.
    if (unheld === 0) ctx.skip(`Node ${process.version}: nextTick stays monomorphic without a held tick object`);
    expect(unheld).toBeGreaterThan(0);
    expect(await megamorphicStores(true)).toBe(0);
  });
});
