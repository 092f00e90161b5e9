/**
 * `aigw bench` without --target, -c or $AIGW_TARGET probes the demo address (http://127.0.0.1:8080 unless
 * $AIGW_DEMO_URL) for a gateway, and whatever listens there — any local process — answers those probes. They read
 * whole bodies: a listener answering with an endless body at loopback speed had the bench hold all it sent for the
 * probe's 2 s, per probe and per key tried (750 MB for one /v1/models here), and took such a listener for none at all
(its bodies never ended within the probe). Now each is read as the bench's side reads are (side-read.ts): 8 MiB at most.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { realDeps } from '../../../src/bench/resolve-target.js';
import { useServer } from '../../helpers/upstream.js';

/** Writes a 64 KiB block whenever the socket takes one, until the client goes. */
function flood(res: ServerResponse): void {
  const block = Buffer.alloc(64 * 1024, 0x20);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"data":[');
  let gone = false;
  res.on('close', () => (gone = true));
  const more = () => {
    while (!gone && res.write(block));
    if (!gone) res.once('drain', more);
  };
  more();
}

/** The most memory outside the JS heap (Buffers) rose while `f` ran, in bytes, sampled every 5 ms. */
async function peakBuffers<T>(f: () => Promise<T>): Promise<{ value: T; rise: number; ms: number }> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
  const t0 = performance.now();
  try {
    const value = await f();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    return { value, rise: peak - before, ms: performance.now() - t0 };
  } finally {
    clearInterval(t);
  }
}

describe('the probes of the demo address against a listener that answers without end', () => {
  it('read at most 8 MiB of /v1/models, and take no more than their 2 s', async () => {
    const url = await useServer((req, res) => {
      req.resume();
      flood(res);
    });
    const r = await peakBuffers(() => realDeps.models(url, 'k'));
    expect(r.value).toBeUndefined();
    expect(r.rise).toBeLessThan(32 * 1024 * 1024);
    expect(r.ms).toBeLessThan(3000);
  });

  it('take an answer as something there without reading its body', async () => {
    const url = await useServer((req, res) => {
      req.resume();
      flood(res);
    });
    const r = await peakBuffers(() => realDeps.probe(url));
    expect(r.value).toBe(true);
    expect(r.rise).toBeLessThan(32 * 1024 * 1024);
    expect(r.ms).toBeLessThan(1000);
  });

  it('still read a models list, and find nothing where nothing answers', async () => {
    const url = await useServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'llama-3-70b' }, { id: 'm' }] }));
    });
    expect(await realDeps.models(url, 'k')).toEqual(['llama-3-70b', 'm']);
    expect(await realDeps.probe(url)).toBe(true);
    expect(await realDeps.probe('http://127.0.0.1:1')).toBe(false);
  });
});
