// The gateway loads undici's Pool alone (src/upstream/undici-pool.ts): all of undici is 4.8 MiB of heap a serving
// gateway would carry for its life. The Pool must be the class undici exports, so an upgrade that moves or forks
// it fails here rather than in a gateway; and no module `serve` loads may import undici's index at the top.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pool } from '../../../src/upstream/undici-pool.js';

const SRC = new URL('../../../src/', import.meta.url).pathname;
/** Commands of their own: they load all of undici (fetch, its request API) and are not part of a serving gateway. */
const OTHER_COMMANDS = ['bench/', 'tui/'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe("undici's Pool, loaded alone", () => {
  it('is the Pool undici exports, with the dispatch the relay uses', async () => {
    const undici = await import('undici');
    expect(Pool).toBe(undici.Pool);
    expect(typeof Pool.prototype.dispatch).toBe('function');
  });

  it("is how the gateway's modules reach undici: none imports its index but for types", () => {
    const offenders = sources(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => !OTHER_COMMANDS.some((c) => f.startsWith(c)))
      .filter((f) => /^import\s+(?!type\b)[^;]*?from\s+['"]undici['"]/m.test(readFileSync(join(SRC, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
