/**
 * Throwaway certificates made at test time with Debian's `openssl` (never committed keys): a CA, server
 * certificates for 127.0.0.1, client certificates with chosen subjects and SANs, and a second, untrusted CA
 * with a client certificate that copies a trusted one's subject. Files live in a temp dir removed afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupScope } from './cleanup.js';

export const opensslAvailable = spawnSync('openssl', ['version']).status === 0;

export interface CertFiles {
  cert: string;
  key: string;
  /** The PEM texts, for clients that take contents rather than paths. */
  certPem: string;
  keyPem: string;
}

export interface TestCerts {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  /** Another server certificate (CN aigw-rotated), for reload tests. */
  server2: CertFiles;
  /** CN=acme-gw, O=Acme; SAN URI:spiffe://acme.example/gw. */
  acme: CertFiles;
  /** CN=globex-gw; SANs DNS:gw.globex.example, email:ops@globex.example, and a URI holding a comma. */
  globex: CertFiles;
  /** CN=nobody: trusted, but mapped to no tenant. */
  nobody: CertFiles;
  /** A CA nobody trusts, and its client certificate with acme's very subject and SAN. */
  rogueCa: CertFiles;
  rogueAcme: CertFiles;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function files(dir: string, name: string): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  return { cert, key, certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

function makeCa(dir: string, name: string, cn: string): CertFiles {
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${cn}`,
    ]),
  );
  return files(dir, name);
}

function issue(dir: string, ca: string, name: string, subject: string, ext: string): CertFiles {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2'].concat([
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ]),
  );
  return files(dir, name);
}

const SERVER = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth';
/** SANs in a section of their own, so a value may hold a comma. */
const client = (...sans: string[]) =>
  `subjectAltName=@alt\nextendedKeyUsage=clientAuth\n[alt]\n${sans.map((s, i) => s.replace(':', `.${i + 1}=`)).join('\n')}`;

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-certs-'));
  const ca = makeCa(dir, 'ca', 'aigw test CA');
  const rogueCa = makeCa(dir, 'rogue-ca', 'rogue CA');
  return {
    dir,
    ca,
    server: issue(dir, 'ca', 'server', '/CN=aigw-test', SERVER),
    server2: issue(dir, 'ca', 'server2', '/CN=aigw-rotated', SERVER),
    acme: issue(dir, 'ca', 'acme', '/O=Acme/CN=acme-gw', client('URI:spiffe://acme.example/gw')),
    globex: issue(
      dir,
      'ca',
      'globex',
      '/CN=globex-gw',
      client('DNS:gw.globex.example', 'email:ops@globex.example', 'URI:https://globex.example/a,b'),
    ),
    nobody: issue(dir, 'ca', 'nobody', '/CN=nobody', client('DNS:nobody.example')),
    rogueCa,
    rogueAcme: issue(dir, 'rogue-ca', 'rogue-acme', '/O=Acme/CN=acme-gw', client('URI:spiffe://acme.example/gw')),
  };
}

/** A certificate's subject key identifier as openssl prints it (AA:BB:…). */
function skid(dir: string, cert: string): string {
  const out = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-ext', 'subjectKeyIdentifier'], { cwd: dir, encoding: 'utf8' });
  return out.trim().split('\n').pop()!.trim();
}

/**
 * A made-up link, PEM: a certificate with `ca`'s name and key id, named as issued by `rogueCa` (its name and key id
 * too) but signed by a key of its own. node:tls links it into a chain between a certificate `ca` signed and `rogueCa`
 * (by name and key identifier); no signature vouches for either link.
 */
export function forgedLink(certs: TestCerts): string {
  const { dir } = certs;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const mimic = ['-keyout', 'mimic.key', '-out', 'mimic.crt', '-subj', '/CN=rogue CA'];
  openssl(dir, ['req', '-x509', ...ec, '-days', '2', ...mimic, '-addext', `subjectKeyIdentifier=${skid(dir, certs.rogueCa.cert)}`]);
  openssl(dir, ['req', ...ec, '-keyout', 'forged-ca.key', '-out', 'forged-ca.csr', '-subj', '/CN=aigw test CA']);
  const ext = `subjectKeyIdentifier=${skid(dir, certs.ca.cert)}\nauthorityKeyIdentifier=keyid\nbasicConstraints=critical,CA:TRUE`;
  writeFileSync(join(dir, 'forged-ca.ext'), `${ext}\n`);
  const sign = ['-CA', 'mimic.crt', '-CAkey', 'mimic.key', '-CAcreateserial', '-days', '2', '-extfile', 'forged-ca.ext'];
  openssl(dir, ['x509', '-req', '-in', 'forged-ca.csr', ...sign, '-out', 'forged-ca.crt']);
  return readFileSync(join(dir, 'forged-ca.crt'), 'utf8');
}

/** A client certificate of `certs.ca` with `subject` (`/CN=x`) and these SANs (`IP:2001:db8::1`, `DNS:x.example`). */
export function clientCert(certs: TestCerts, name: string, subject: string, ...sans: string[]): CertFiles {
  return issue(certs.dir, 'ca', name, subject, client(...sans));
}

/** An intermediate CA under `ca` and a client certificate (acme's subject) it signed. */
export function intermediateChain(certs: TestCerts): { mid: CertFiles; leaf: CertFiles } {
  const mid = issue(certs.dir, 'ca', 'mid-ca', '/CN=aigw test intermediate', 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign');
  const leaf = issue(certs.dir, 'mid-ca', 'mid-acme', '/O=Acme/CN=acme-gw', client('URI:spiffe://acme.example/gw'));
  return { mid, leaf };
}

/** openssl's time format for `ca -startdate/-enddate` (YYYYMMDDHHMMSSZ). */
const caTime = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

/**
 * A certificate that `ca` (a name in the directory) signs, valid from an hour ago until `notAfter` (`openssl ca`, to the
 * second); `subject` needs a CN, an O is optional.
 */
function issueUntil(certs: TestCerts, ca: string, name: string, subject: string, ext: string, notAfter: Date): CertFiles {
  const { dir } = certs;
  const config = ['[ca]', 'default_ca = d', '[d]', 'dir = .', `database = ${name}-index.txt`, 'new_certs_dir = .'].concat(
    [`serial = ${name}-serial.txt`, 'default_md = sha256', 'policy = p', 'unique_subject = no', '[p]', 'commonName = supplied'],
    ['organizationName = optional'],
  );
  writeFileSync(join(dir, `${name}-ca.cnf`), `${config.join('\n')}\n`);
  writeFileSync(join(dir, `${name}-index.txt`), '');
  writeFileSync(join(dir, `${name}-serial.txt`), '2000\n');
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  const dates = ['-startdate', caTime(new Date(Date.now() - 3_600_000)), '-enddate', caTime(notAfter)];
  const sign = ['-batch', '-notext', '-config', `${name}-ca.cnf`, '-cert', `${ca}.crt`, '-keyfile', `${ca}.key`, ...dates];
  openssl(dir, ['ca', ...sign, '-in', `${name}.csr`, '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
  return files(dir, name);
}

/** A client certificate of `certs.ca` with acme's subject that stops being valid at `notAfter` (`openssl ca`, to the second). */
export function acmeUntil(certs: TestCerts, notAfter: Date): CertFiles {
  return issueUntil(certs, 'ca', 'short', '/O=Acme/CN=acme-gw', client('URI:spiffe://acme.example/gw'), notAfter);
}

/** An intermediate CA under `ca` that stops being valid at `notAfter`, and a client certificate (acme's subject, two days) it signed. */
export function intermediateUntil(certs: TestCerts, notAfter: Date): { mid: CertFiles; leaf: CertFiles } {
  const mid = issueUntil(
    certs,
    'ca',
    'short-mid',
    '/CN=aigw short intermediate',
    'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign',
    notAfter,
  );
  const leaf = issue(certs.dir, 'short-mid', 'short-mid-acme', '/O=Acme/CN=acme-gw', client('URI:spiffe://acme.example/gw'));
  return { mid, leaf };
}

/** makeCerts for a test file, removed after it. */
export function useCerts(): TestCerts {
  const cleanupAfter = cleanupScope();
  const certs = makeCerts();
  cleanupAfter(() => rmSync(certs.dir, { recursive: true, force: true }));
  return certs;
}
