/**
 * What is kept of a long string cut for display is the cut, not the string (attacker review): a slice of 13 characters
 * or more is a view that keeps its whole source alive, and the cuts printable() makes are kept — in `aigw top`'s log
 * (200 lines) and in the bench's record of every request (the target's `system_fingerprint`, its error code).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { label } from '../../../src/bench/record.js';
import { printable } from '../../../src/core/printable.js';
import { applyEvent, initialState, LOG_LINES } from '../../../src/tui/model.js';
import { eventFrom } from '../../../src/tui/wire.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MiB = 1024 * 1024;

describe('a long string cut for display', () => {
  it('is cut as before: control characters as `?`, the last character `…`', () => {
    const long = `a\u001b${'b'.repeat(1000)}`;
    expect(printable(long, 10)).toBe('a?bbbbbbb…');
    expect(printable('short', 10)).toBe('short');
  });

  it("keeps nothing of a listener's 200 KB names in aigw top's log beyond the 512 characters each line shows", () => {
    const before = heapAfterGc();
    let state = initialState();
    for (let i = 0; i < LOG_LINES; i++) {
      // Each its own refusal (another model), 40 s apart: no line folds into another, all 200 are kept.
      const data = JSON.stringify({ type: 'request', ts: i * 40_000, status: 404, model: `m${i}-${'x'.repeat(200_000)}`, errorCode: 'x' });
      state = applyEvent(state, i, eventFrom(JSON.parse(data))!);
    }
    expect(state.log).toHaveLength(LOG_LINES);
    expect(state.log[0]!.text.length).toBeLessThan(600);
    const grown = heapAfterGc() - before;
    // 200 × 200 KB (40 MB; 172 MB for 900 KB names) were held through the lines' 512-character cuts, ~200 KB themselves.
    expect(grown).toBeLessThan(8 * MiB);
  });

  it("keeps nothing of a target's 200 KB system_fingerprint in the bench's records beyond its 64-character label", () => {
    const before = heapAfterGc();
    const backends: (string | undefined)[] = [];
    for (let i = 0; i < 200; i++) {
      const answer = JSON.parse(JSON.stringify({ system_fingerprint: `fp${i}-${'y'.repeat(200_000)}` })) as { system_fingerprint: unknown };
      backends.push(label(answer.system_fingerprint));
    }
    expect(backends[7]).toBe(`fp7-${'y'.repeat(59)}…`);
    const grown = heapAfterGc() - before;
    // 200 × 200 KB (40 MB) were held through the 64-character labels.
    expect(grown).toBeLessThan(8 * MiB);
  });
});
