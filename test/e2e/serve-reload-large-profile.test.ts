/**
 * A reload of a large profile does not stop the streams in flight. The YAML parser took seconds on a profile of
 * hundreds of thousands of list items (inside the token budget), the text read three times, all on the serving
 * thread: a paced stream through the gateway stopped for the whole load (28.8 s, on a 2-core machine under load). The
 * load runs on a thread of its own now (cli/reload-thread.ts), and the stream keeps its pace (its longest gap 0.29 s
 * on that machine).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { replaceWhole } from '../helpers/reload.js';

const BASE = `version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`;

/**
 * BASE with a tenant allowed one model, named 300,000 times, and last a model there is none of: 600 KB, 600,000 YAML
 * tokens (the budget is a million). Read, checked to its last item, and refused for it: the whole load, none of the
 * apply (whose runtime build of so long a list is the main thread's, and no parser's).
 */
const LARGE = `${BASE}tenants:\n  t:\n    keys: [sk-tenant-t]\n    models: [${'m,'.repeat(300_000)}nope]\n`;

describe('serve reloading a large profile', () => {
  it('keeps a paced stream at its pace while the new profile loads', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aigw-reload-large-')), 'profile.yaml');
    writeFileSync(file, BASE);
    const gw = await startAigw(['serve', '-c', file, '--mocks', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'pretty'], 3);
    // A token every 50 ms, for far longer than the test.
    const arrivals: number[] = [];
    const req = request(`${gw.urls.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-tps': '20' },
    });
    req.on('response', (res) => res.on('data', () => arrivals.push(Date.now())));
    req.on('error', () => {});
    req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'pace me' }], stream: true, max_tokens: 100_000 }));
    await eventually(() => arrivals.length >= 5, 20_000);

    const from = arrivals.length - 1;
    const started = Date.now();
    replaceWhole(file, LARGE);
    gw.child.kill('SIGHUP');
    await eventually(() => / reload (ok|rejected) /.test(gw.stdout()), 120_000);
    const took = Date.now() - started;
    expect(gw.stderr()).toMatch(/reload refused: .*tenants\.t\.models\[300000\]: .*"nope"/);
    // The stream after the load too: a stalled loop sends what it owes only once it is free.
    const after = arrivals.length;
    await eventually(() => arrivals.length >= after + 5, 20_000);
    req.destroy();

    const seen = arrivals.slice(from);
    const longest = Math.max(...seen.slice(1).map((t, i) => t - seen[i]!));
    // A gap a busy machine makes (0.29 s on a loaded one) against the whole load's (28.8 s there, ~6 s on a quiet one):
    // 3 s, about ten times either side of the loaded machine's.
    expect(longest, `the load took ${took} ms`).toBeLessThan(3000);
    expect(await gw.stop()).toBe(0);
  }, 180_000);
});
