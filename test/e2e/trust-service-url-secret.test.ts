/**
 * A collector URL that does not parse (attacker review). The schema checked only that it began with http://, so
 * validate said ok; the gateway's start then failed as "cannot listen on ADDRESS: Configuration: Could not parse
 * user-provided export URL: '…'" and a reload was refused with the same words — the URL quoted whole, the token in
 * it on stderr and in the admin's event history. Now a profile problem at observe.tracing.otlp, the URL not shown.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw, startAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE, reloadEventFor } from '../helpers/reload.js';

const SECRET = 'S3CRET-otlp-token-9c1e';
const GOOD = MINIMAL_PROFILE;
const TRACED = `${GOOD}observe: { tracing: { otlp: "\${OTLP_URL}" } }\n`;
const env = { OTLP_URL: `http://aigw:${SECRET}@127.0.0.1:99999` };

describe('a collector URL that does not parse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-service-url-'));

  it('validate and serve refuse it at its key, without the token', async () => {
    const file = join(dir, 'traced.yaml');
    writeFileSync(file, TRACED);
    for (const args of [
      ['validate', '-c', file],
      ['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'],
    ]) {
      const r = await runAigw(args, env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/traced\.yaml:\d+:\d+: error: observe\.tracing\.otlp: /);
      expect(r.stderr).not.toContain('cannot listen');
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    }
  }, 60_000);

  it('a reload to it is refused naming the key; neither stderr nor the event shows the token', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, GOOD);
    const gw = await startAigw(['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 2, env);
    const text = await reloadEventFor(gw, file, TRACED);
    expect(text).toContain('"ok":false');
    expect(text).toContain('observe.tracing.otlp');
    expect(text).not.toContain(SECRET);
    await gw.stop();
    expect(gw.stderr()).not.toContain(SECRET);
  }, 60_000);
});
