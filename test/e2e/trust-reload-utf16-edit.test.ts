/**
 * A profile saved as UTF-16 (PowerShell's `>`; read after its byte-order mark) whose edit changes only characters
 * beyond ASCII is reloaded. The watcher compared the file's bytes decoded as UTF-8, where each such UTF-16 unit is a
 * byte that is not UTF-8: `é` and `è` both read as U+FFFD, the edited file looked unchanged, and the old header
 * kept being sent with nothing said until a SIGHUP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { nextReloadEvent, replaceWhole } from '../helpers/reload.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-reload-utf16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
// A header the backend is sent (Latin-1 is what a header value may hold beyond ASCII).
const withKey = (v: string) =>
  `version: 1\nbackends:\n  b: { url: "http://127.0.0.1:9", headers: { x-team: "${v}" } }\nmodels:\n  m: { targets: [{ backend: b }] }\n`;

describe('a UTF-16 profile edited beyond ASCII', () => {
  it('is reloaded when only a non-ASCII character changed', async () => {
    const file = join(dir, 'aigw.yaml');
    writeFileSync(file, utf16(withKey('clé')));
    const gw = await startAigw(['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 2);
    const applied = nextReloadEvent(gw.urls.admin!);
    // The subscription is open before the file changes (as the other reload tests wait).
    await new Promise((r) => setTimeout(r, 300));
    replaceWhole(file, utf16(withKey('clè')));
    expect(await applied).toMatch(/"ok":true/);
  }, 15_000);
});
