/**
 * `aigw bench`'s output files, as users run it: a --json or --html path that cannot be written is a usage error
 * said before anything is sent (it was found after the load: 'unexpected failure: ENOENT', nothing written), and a
 * report file given to --compare whose environment is not what the bench writes is refused, not drawn into a throw.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';
import { OK_CHAT_ANSWER, useServer } from '../helpers/upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-outputs-'));

const report = (env: Record<string, unknown>) =>
  JSON.stringify({
    version: 1,
    env: { node: 'v20', platform: 'linux-x64', cpus: 2, cpuModel: 'cpu', target: 'http://127.0.0.1:1', model: 'm', startedAt: 'x', ...env },
    scenarios: {},
    figures: { 'throughput.rps': 10 },
    assertions: [],
  });

describe('aigw bench output files', () => {
  it.each([
    [
      '--json in a directory that is not there',
      ['--json', join(dir, 'none', 'r.json')],
      /--json .*r\.json: cannot write: no such directory/,
    ],
    ['--html that is a directory', ['--html', dir], /--html .*: is a directory/],
  ])(
    'refuses %s before sending anything',
    async (_name, flags, message) => {
      let asked = 0;
      const url = await useServer((_q, res) => {
        asked++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(OK_CHAT_ANSWER);
      });
      const r = await runAigw(['bench', '--target', url, '--model', 'm', '--scenario', 'throughput', '--duration', '300ms', ...flags]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/unexpected failure/);
      expect(r.code).toBe(2);
      expect(asked).toBe(0);
    },
    60_000,
  );

  it('refuses a report whose environment holds an object where the page shows text, and draws a whole one', async () => {
    const base = join(dir, 'base.json');
    const crafted = join(dir, 'crafted.json');
    writeFileSync(base, report({}));
    writeFileSync(crafted, report({ cpus: { toString: 1 } }));
    const page = join(dir, 'page.html');
    const r = await runAigw(['bench', '--compare', base, '--compare', crafted, '--html', page]);
    expect(r.stderr).toMatch(/--compare .*crafted\.json: not an aigw bench --json report: env\.cpus/);
    expect(r.code).toBe(2);
    mkdirSync(join(dir, 'out'), { recursive: true });
    const ok = await runAigw(['bench', '--compare', base, '--compare', base, '--html', join(dir, 'out', 'page.html')]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  }, 60_000);
});
