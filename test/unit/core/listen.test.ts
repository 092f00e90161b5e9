import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listenOn } from '../../../src/core/listen.js';
import { reloadRefusals } from '../../../src/gateway/reload-check.js';
import { parseProfile } from '../../../src/profile/load.js';

const hasSs = spawnSync('ss', ['-V']).error === undefined;
if (!hasSs) console.warn('SKIPPED: the listen backlog check needs ss (iproute2)');

/** A listening socket's Send-Q in `ss -ltn` is its backlog. */
function backlogOf(port: number): number {
  const out = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).stdout.trim();
  return Number(out.split(/\s+/)[2]);
}

function profile(extra: string) {
  const r = parseProfile(
    `version: 1\nlisten: 127.0.0.1:0\nlimits: { ${extra} }\nbackends: { a: { url: "http://127.0.0.1:9" } }\nmodels: { m: { targets: [{ backend: a }] } }\n`,
    'p.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.profile;
}

describe('the listen backlog (limits.listenBacklog)', () => {
  it('defaults to 4096, as nginx, instead of Node’s 511', () => {
    expect(profile('').limits.listenBacklog).toBe(4096);
  });

  it.skipIf(!hasSs)('is what the kernel queues for the listening socket', async () => {
    const server = createServer();
    const url = await listenOn(server, '127.0.0.1', 0, 'http', 77);
    try {
      expect(backlogOf(Number(new URL(url).port))).toBe(77);
    } finally {
      server.close();
    }
  });

  it('is set when the socket opens: a reload that changes it is refused, naming the key', () => {
    const refusals = reloadRefusals(profile(''), profile('listenBacklog: 128'), { listenOverridden: false, adminOverridden: false });
    expect(refusals).toEqual([expect.stringContaining('limits.listenBacklog')]);
  });
});
