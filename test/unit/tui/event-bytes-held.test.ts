/**
 * `aigw top` reading an admin listener that sends its bytes one a read (chunked encoding of one byte, or a proxy that
 * re-chunks): what it holds of an event in progress, or of a snapshot being read, is about their bytes, not a Buffer
 * of ~100 bytes per byte (attacker review: an event under the 1 MiB bound held ~100 MB of views, a trickled snapshot
 * as much per poll). Weighed on a million one-byte reads.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { BoundedEventReader } from '../../../src/tui/event-frames.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const BYTES = 1_000_000;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('an event sent a byte a read', () => {
  it('is held in about its own bytes while it arrives, and read whole when it ends', () => {
    const events: { id: string | undefined; size: number }[] = [];
    const reader = new BoundedEventReader(1024 * 1024, 16 * 1024 * 1024, {
      event: (ev) => events.push({ id: ev.id, size: ev.data?.length ?? -1 }),
      skipped: () => events.push({ id: 'skipped', size: 0 }),
    });
    // Each read its own view, as a socket's reads are: the source is one 64 KiB buffer, so only views can grow.
    const source = Buffer.alloc(65_536, 0x78);
    const before = heapAfterGc();
    expect(reader.push(Buffer.from('id: 7\ndata: '))).toBe(true);
    for (let i = 0; i < BYTES; i++) reader.push(source.subarray(i % 65_536, (i % 65_536) + 1));
    const grown = heapAfterGc() - before;
    // A view a byte held ~100 MB here; the bytes themselves, gathered, are a few MB (the decoder's line and the event).
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    expect(events).toEqual([]);
    expect(reader.push(Buffer.from('\n\n'))).toBe(true);
    expect(events).toEqual([{ id: '7', size: BYTES }]);
  });
});
