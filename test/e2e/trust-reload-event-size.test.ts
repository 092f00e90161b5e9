/**
 * A refused reload's event is as bounded as the rest of the history (attacker review). A problem quoted the value
 * it refused whole (`got string "<the whole value>"`), so a profile with an 8 MiB value where a word goes kept an
 * 8 MiB event at every SIGHUP (256 of them in the history: 2 GiB). The value is quoted as names are, cut after
 * 100 characters: the event says which setting and how it begins, in well under a kilobyte more than usual.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';

const GOOD = `version: 1
backends:
  b: { url: "http://127.0.0.1:9" }
models:
  m: { targets: [{ backend: b }] }
`;
const broken = (strategy: string) => GOOD.replace('m: { targets', `m: { strategy: ${strategy}, targets`);

/** The data of the next `reload` event on the admin's event stream. */
function nextReloadEvent(admin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${admin}/aigw/events`, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        const at = buf.indexOf('event: reload\n');
        const end = at < 0 ? -1 : buf.indexOf('\n\n', at);
        if (end < 0) return;
        req.destroy();
        resolve(buf.slice(at, end));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a refused reload keeps a bounded event', () => {
  it('an 8 MiB value where a word goes: the event names the setting and quotes the value cut', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aigw-reload-event-')), 'p.yaml');
    writeFileSync(file, GOOD);
    const gw = await startAigw(['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 2);
    const event = nextReloadEvent(gw.urls.admin!);
    // The subscription is open before the file changes (a refused reload is one event, not replayed here).
    await new Promise((r) => setTimeout(r, 300));
    // Replaced whole (written beside it, then renamed): the profile watcher must not read it half-written.
    writeFileSync(`${file}.next`, broken('x'.repeat(8 << 20)));
    renameSync(`${file}.next`, file);
    gw.child.kill('SIGHUP');
    const text = await event;
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
    const event = nextReloadEvent(gw.urls.admin!);
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(`${file}.next`, `${GOOD}listen: !x!${'a'.repeat(8 << 20)} "127.0.0.1:0"\n`);
    renameSync(`${file}.next`, file);
    gw.child.kill('SIGHUP');
    const text = await event;
    expect(text).toContain('"ok":false');
    expect(text).toContain(`Could not resolve tag: !x!${'a'.repeat(150)}`);
    expect(text.length).toBeLessThan(2048);
    await gw.stop();
    expect(gw.stderr().length).toBeLessThan(8192);
  }, 60_000);
});
