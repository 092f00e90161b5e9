/**
 * `aigw import envoy … -o PROFILE` writes the profile whole or not at all (attacker review). It wrote in place: a
 * write that failed part way — a full disk; here a file-size limit (RLIMIT_FSIZE, which Node meets as EFBIG) — said
 * "cannot write" but had already emptied the earlier profile and left the first bytes of the new one in its place:
 * the profile a gateway serves, and watches, cut. Export -o always wrote a file beside and renamed it; import now does.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, lstatSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW, runAigw } from '../helpers/cli.js';
import { apiKeys, BASE, docs } from '../unit/bridge/manifests.js';

let prlimit = true;
try {
  execFileSync('prlimit', ['--version']);
} catch {
  prlimit = false;
}

const EARLIER = `# the profile being served
version: 1
backends:
  a: { url: "http://127.0.0.1:9" }
models:
  m: { targets: [{ backend: a }] }
`;

describe('import -o', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-import-whole-'));
  const manifests = join(dir, 'm.yaml');
  writeFileSync(manifests, docs(BASE, apiKeys({ alice: '${SURELY_UNSET_ALICE}', bob: '${SURELY_UNSET_BOB}' })));

  it.skipIf(!prlimit || process.platform !== 'linux')('a write that fails part way leaves the earlier profile as it was', async () => {
    const served = mkdtempSync(join(dir, 'served-'));
    const out = join(served, 'profile.yaml');
    writeFileSync(out, EARLIER);
    // The imported profile is over a kilobyte: past 300 bytes, the write fails (EFBIG).
    const r = await runAigw(['import', 'envoy', manifests, '-o', out], {}, ['prlimit', '--fsize=300']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^aigw: cannot write .*profile\.yaml: /m);
    expect(readFileSync(out, 'utf8')).toBe(EARLIER);
    // Nothing left beside it.
    expect(readdirSync(served)).toEqual(['profile.yaml']);
  });

  it('writes the whole profile; a symlink planted at the path is replaced, not written through', async () => {
    const elsewhere = join(dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'not yours\n');
    const out = join(dir, 'linked.yaml');
    symlinkSync(elsewhere, out);
    const r = await runAigw(['import', 'envoy', manifests, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not yours\n');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(readFileSync(out, 'utf8')).toMatch(/^# Imported by aigw from /);
    expect((await runAigw(['validate', '-c', out], { SURELY_UNSET_ALICE: 'ka', SURELY_UNSET_BOB: 'kb' })).code).toBe(0);
  });

  it('a link to a pipe is written through, not replaced by a file', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const out = join(dir, 'to-pipe.yaml');
    symlinkSync(fifo, out);
    const read = new Promise<string>((resolve, reject) => {
      let text = '';
      const s = createReadStream(fifo, 'utf8');
      s.on('data', (d) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    const r = await runAigw(['import', 'envoy', manifests, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(out).isSymbolicLink()).toBe(true);
    expect(await read).toMatch(/^# Imported by aigw from /);
  });

  // Renamed over, as root, /dev/stdout itself had become a file. Through a pipe, as a shell gives it (a child's socket
  // cannot be opened by path: ENXIO, whatever aigw does).
  it('-o /dev/stdout prints the profile', () => {
    const printed = execFileSync('sh', [
      '-c',
      `"${process.execPath}" "${AIGW}" import envoy "${manifests}" -o /dev/stdout 2>/dev/null | cat`,
    ]);
    expect(printed.toString()).toMatch(/^# Imported by aigw from /);
  });
});
