/**
 * A profile refused at a reload for what lies outside its text — a certificate file it names not there yet (a
 * ConfigMap updated before the Secret volume beside it), unreadable for a moment — is read again when the file is
 * written again, even with the same text. The text read was remembered as applied whatever became of it, so writing the
 * profile again once the certificate was in place reloaded nothing and said nothing: the old profile kept serving until
 * a SIGHUP, though the file as it stands loads.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { opensslAvailable, useCerts } from '../helpers/certs.js';
import { startAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE, nextReloadEvent, replaceWhole } from '../helpers/reload.js';

const certs = opensslAvailable ? useCerts() : undefined;
const dir = mkdtempSync(join(tmpdir(), 'aigw-reload-retry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withTls = (cert: string, key: string) => `${MINIMAL_PROFILE}tls: { cert: ${cert}, key: ${key} }\n`;

describe.skipIf(!certs)('a reload refused for a file the profile names', () => {
  it('is tried again when the profile is written again with the same text', async () => {
    copyFileSync(certs!.server.cert, join(dir, 'a.pem'));
    copyFileSync(certs!.server.key, join(dir, 'a-key.pem'));
    const file = join(dir, 'aigw.yaml');
    writeFileSync(file, withTls('a.pem', 'a-key.pem'));
    const gw = await startAigw(['serve', '-c', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 2);
    const admin = gw.urls.admin!;

    // The new certificate is named before it is there: refused, the old one serves.
    const refused = nextReloadEvent(admin);
    await new Promise((r) => setTimeout(r, 300));
    replaceWhole(file, withTls('b.pem', 'b-key.pem'));
    expect(await refused).toMatch(/"ok":false.*cannot read b\.pem/);

    // It arrives; the profile is written again as it was.
    copyFileSync(certs!.server2.cert, join(dir, 'b.pem'));
    copyFileSync(certs!.server2.key, join(dir, 'b-key.pem'));
    const applied = nextReloadEvent(admin);
    await new Promise((r) => setTimeout(r, 300));
    replaceWhole(file, withTls('b.pem', 'b-key.pem'));
    expect(await applied).toMatch(/"ok":true/);
  }, 20_000);
});
