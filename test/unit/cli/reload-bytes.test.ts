/**
 * A reload parses the bytes `serve` read and compared with what it last applied, not the file read again a moment
 * later: a reload's thread takes some hundred ms to start, a write landing meanwhile was applied while the text before
 * it was remembered, and a file written back to that text was never loaded again — the gateway served a profile the
 * file no longer said (2 runs in 6 of SIGHUP, a write, and the write undone 300 ms later ended serving the undone one).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import type { loadOffLoop as LoadOffLoop } from '../../../src/cli/reload-thread.js';

// The built module, as bin/aigw runs it: the load on a thread of its own (reload-thread.test.ts says why).
const dist = new URL('../../../dist/', import.meta.url).href;
const { loadOffLoop } = (await import(`${dist}cli/reload-thread.js`)) as { loadOffLoop: typeof LoadOffLoop };

const profile = (model: string) => `version: 1
backends:
  b: { url: "http://127.0.0.1:9" }
models:
  ${model}: { targets: [{ backend: b }] }
`;

const file = join(mkdtempSync(join(tmpdir(), 'aigw-reload-bytes-')), 'p.yaml');
// What the file says by the time the load would read it again.
writeFileSync(file, profile('written-since'));
const read = Buffer.from(profile('as-read'));

const loads: { name: string; load: typeof loadOffLoop }[] = [
  { name: "on the reload's thread", load: loadOffLoop },
  { name: 'on the main thread (the start)', load: loadProfileOrManifests },
];

describe('a load given the bytes its caller read', () => {
  it.each(loads)('$name: parses those bytes, not the file as it is now', async ({ load }) => {
    const r = await load(file, {}, { bytes: read });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.profile.models)).toEqual(['as-read']);
  });

  it.each(loads)('$name: without them, reads the file', async ({ load }) => {
    const r = await load(file, {}, {});
    expect(r.ok && Object.keys(r.profile.models)).toEqual(['written-since']);
  });
});
