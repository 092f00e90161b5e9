/**
 * `aigw top` in plain mode (stdout a pipe or a file) against what it cannot control: an admin listener that lists
 * thousands of backends under one model, and a reader of its output that stops reading (`aigw top | less` left on its
 * first page, a stalled log collector). A tick prints a bounded amount, and output nobody reads does not pile up.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { applyStats, initialState, type StatsView } from '../../../src/tui/model.js';
import { PLAIN_ROWS, runPlain, summaryLines } from '../../../src/tui/plain.js';
import { backendStats } from '../../helpers/tui.js';
import { useServer } from '../../helpers/upstream.js';

/** `models` models of `backends` backends each, every name `nameLength` characters long. */
function snapshot(models: number, backends: number, nameLength = 8): StatsView {
  const s = { ts: 1, windowMs: 60_000, inflight: 0, models: {}, tenants: {}, refusals: [] } as unknown as StatsView;
  const name = (prefix: string, i: number) => `${prefix}${i}`.padEnd(nameLength, 'x');
  for (let m = 0; m < models; m++) {
    const bs: Record<string, unknown> = {};
    for (let b = 0; b < backends; b++) bs[name('b', b)] = backendStats(b);
    s.models[name('m', m)] = { requests: backends, costUsd: 0, backends: bs } as never;
  }
  return s;
}

function admin(stats: StatsView): Promise<string> {
  const body = JSON.stringify(stats);
  return useServer((req, res) => {
    if (req.url === '/aigw/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
  });
}

describe('plain mode prints a bounded tick', () => {
  it("lists a model's busiest backends and how many more, not every one of its thousands", () => {
    const lines = summaryLines(applyStats(initialState(), snapshot(1, 5000)));
    const line = lines.find((l) => l.includes(' m0xxxxxx: '))!;
    // Every backend was printed: one line of 5,000 (~110 KB), every two seconds; 8 MiB of snapshot made it megabytes.
    expect(line.length).toBeLessThan(2000);
    expect(line.match(/ \(\d+\.\d%\/\d+\.\d%\)/g)).toHaveLength(PLAIN_ROWS);
    expect(line).toContain('b4999xxx 4999 ');
    expect(line).toMatch(/, … 4980 more backends$/);
    expect(summaryLines(applyStats(initialState(), snapshot(1, 3))).join('\n')).not.toContain('more');
  });
});

describe('plain mode with a reader that stopped reading', () => {
  it('holds a bounded amount of output waiting, and says how many updates went unprinted once the reader is back', async () => {
    // 20 models of 20 backends with 500-character names: ~220 KB a tick, every 10 ms.
    const url = await admin(snapshot(20, 20, 500));
    let stalled = true;
    let text = '';
    const held: (() => void)[] = [];
    const out = new Writable({
      write(chunk, _encoding, done) {
        text += chunk;
        if (stalled) held.push(done);
        else done();
      },
    });
    const stop = runPlain(url, undefined, 10, out);
    try {
      let most = 0;
      const until = performance.now() + 1500;
      while (performance.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
        most = Math.max(most, out.writableLength);
      }
      // Every tick was queued in the stream: tens of MB a second, for as long as the reader is away.
      expect(most).toBeLessThan(6 * 1024 * 1024);
      stalled = false;
      for (const done of held.splice(0)) done();
      const resumed = performance.now() + 5000;
      while (!/updates not printed/.test(text) && performance.now() < resumed) await new Promise((r) => setTimeout(r, 20));
      expect(text).toMatch(/… \d+ updates not printed: the reader of this output fell behind/);
    } finally {
      stop();
    }
  });
});
