/**
 * A refused reload's event is as bounded as the rest of the history (attacker review). A problem quoted the value
 * it refused whole (`got string "<the whole value>"`), so a profile with an 8 MiB value where a word goes kept an
 * 8 MiB event at every SIGHUP (256 of them in the history: 2 GiB). The value is quoted as names are, cut after
 * 100 characters: the event says which setting and how it begins, in well under a kilobyte more than usual.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE, reloadEventFor } from '../helpers/reload.js';

const GOOD = MINIMAL_PROFILE;
const broken = (strategy: string) => GOOD.replace('m: { targets', `m: { strategy: ${strategy}, targets`);

describe('a refused reload keeps a bounded event', () => {
  it('an 8 MiB value where a word goes: the event names the setting and quotes the value cut', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aigw-reload-event-')), 'p.yaml');
    writeFileSync(file, GOOD);
    const gw = await startAigw(['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 2);
    const text = await reloadEventFor(gw, file, broken('x'.repeat(8 << 20)));
    expect(text).toContain('"ok":false');
    expect(text).toContain('models.m.strategy');
    expect(text).toContain(`got string \\"${'x'.repeat(100)}…\\"`);
    expect(text.length).toBeLessThan(2048);
    await gw.stop();
  }, 60_000);

  it('an 8 MiB tag the YAML library quotes in its message: cut as a value is', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aigw-reload-event-')), 'p.yaml');
    writeFileSync(file, GOOD);
    const gw = await startAigw(['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 2);
    const text = await reloadEventFor(gw, file, `${GOOD}listen: !x!${'a'.repeat(8 << 20)} "127.0.0.1:0"\n`);
    expect(text).toContain('"ok":false');
    expect(text).toContain(`Could not resolve tag: !x!${'a'.repeat(150)}`);
    expect(text.length).toBeLessThan(2048);
    await gw.stop();
    expect(gw.stderr().length).toBeLessThan(8192);
  }, 60_000);
});
