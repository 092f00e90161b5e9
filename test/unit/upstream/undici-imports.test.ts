// A serving gateway talks to its backends with its own client (src/upstream/h1-pool.ts): all of undici is 4.8 MiB
// of heap it would carry for its life. No module `serve` loads may import undici's index at the top (the JWKS fetch
// loads undici's request API when it first fetches; the bench and the TUI are commands of their own).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../../src/', import.meta.url).pathname;
/** Commands of their own: they load all of undici (fetch, its request API) and are not part of a serving gateway. */
const OTHER_COMMANDS = ['bench/', 'tui/'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('undici, not loaded by a serving gateway', () => {
  it("is how the gateway's modules reach undici: none imports its index but for types", () => {
    const offenders = sources(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => !OTHER_COMMANDS.some((c) => f.startsWith(c)))
      .filter((f) => /^import\s+(?!type\b)[^;]*?from\s+['"]undici['"]/m.test(readFileSync(join(SRC, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
