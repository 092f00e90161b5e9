/**
 * A target whose every answer carries kilobytes of `x-ratelimit-*` headers: the pacer reads them as each answer
 * comes, and the load's records do not keep them for the rest of the scenario.
 */
import type { ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../src/bench/driver.js';
import { Pacer } from '../../../src/bench/pacer.js';
import { prepared } from '../../../src/bench/workload.js';
import { useServer } from '../../helpers/upstream.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** 300 headers of ~40 bytes each (12 KiB, under undici's 16 KiB for a head), plus a limit the pacer learns. */
const answer = (res: ServerResponse) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-ratelimit-limit-requests': '1000000000' };
  for (let i = 0; i < 300; i++) headers[`x-ratelimit-pad-${i}`] = `v${i}`.padEnd(24, 'x');
  res.writeHead(200, headers).end(JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } }));
};

describe('the limit headers of a target that sends kilobytes of them', () => {
  it('are read by the pacer and not kept in the records: 2,000 answers leave the heap where it was', async () => {
    const url = await useServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    const pacer = new Pacer(60_000, () => {});
    const source = { next: () => prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }) };
    gc();
    const before = process.memoryUsage().heapUsed;
    const r = await runLoad({ url, headers: {}, source, stream: false, durationMs: 60_000, maxRequests: 2000, connections: 4, pacer });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(r.records).toHaveLength(2000);
    expect(r.records.every((x) => x.ok)).toBe(true);
    // The pacer still heard them.
    expect(pacer.seen.join('\n')).toContain('limits this key to 1000000000 requests');
    // Kept in the records, they were ~25 KB an answer: 51 MB for these 2,000 (a longer run, as many more as it has answers).
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});
