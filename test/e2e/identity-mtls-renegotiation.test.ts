/**
 * A client certificate presented in a TLS 1.2 renegotiation (found by an attacker review). node:tls sets
 * `authorized` after a handshake that verified and never sets it back, while getPeerCertificate() shows the last
 * handshake's certificate: a connection that first showed any certificate from the client CA (`nobody`, mapped to no
 * tenant) and then renegotiated with a self-signed copy of acme's subject was served as acme. The gateway refuses
 * renegotiation. And the TLS handshake is bounded by timeouts.request, as the request after it is (Node's own
 * handshakeTimeout is 120 s: thousands of idle connections held sockets and memory for two minutes).
 * The client is OpenSSL's (node:tls cannot change its certificate mid-connection), compiled from
 * test/helpers/tls-reneg-client.c when gcc and libssl's headers are there (.ci/run installs them).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { opensslAvailable, useCerts } from '../helpers/certs.js';
import { useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile } from '../helpers/mtls.js';

const compiler = spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/include/openssl/ssl.h');
if (!compiler) console.warn('SKIPPED: the renegotiation test needs gcc and libssl-dev (apt-get install gcc libssl-dev)');
const certs = opensslAvailable ? useCerts() : undefined;

const gw = certs ? await useGateway(acmeMtlsProfile(certs.server, certs.ca.cert, 'timeouts: { request: 1s }\n')) : undefined;

function client(): string {
  const out = join(certs!.dir, 'reneg');
  execFileSync('gcc', ['-o', out, join(import.meta.dirname, '../helpers/tls-reneg-client.c'), '-lssl', '-lcrypto']);
  return out;
}

/** The client's output: what the gateway answered, or '' when the connection was cut. */
async function run(bin: string, first: 'acme' | 'nobody', second: 'acme' | 'rogueAcme', renegotiate: boolean): Promise<string> {
  const port = new URL(gw!.url).port;
  const a = certs![first];
  const b = certs![second];
  const args = [port, a.cert, a.key, b.cert, b.key, 'P', ...(renegotiate ? [] : ['no-renegotiation'])];
  // Not spawnSync: the gateway answers from this very process.
  const r = await promisify(execFile)(bin, args, { encoding: 'utf8', timeout: 10_000 }).catch((e: { stdout?: string }) => ({
    stdout: e.stdout ?? '',
  }));
  return r.stdout;
}

describe.skipIf(!certs || !compiler)('a certificate changed by renegotiation', () => {
  it('acme, no renegotiation: served as acme (the client works); nobody, then a self-signed acme: not served', async () => {
    const bin = client();
    expect(await run(bin, 'acme', 'acme', false)).toMatch(/^HTTP\/1\.1 200/);
    expect(gw!.eventsOf('request').filter((e) => e.tenant === 'acme')).toHaveLength(1);
    // Without renegotiation this certificate gets 401 (identity-mtls.test.ts); the renegotiation cuts the connection.
    expect(await run(bin, 'nobody', 'rogueAcme', true)).not.toMatch(/^HTTP\/1\.1 200/);
    expect(gw!.eventsOf('request').filter((e) => e.tenant === 'acme')).toHaveLength(1);
  });
});

describe.skipIf(!certs)('the TLS handshake is bounded by timeouts.request', () => {
  it('a connection that never starts its handshake is closed after ~1 s, not Node’s 120 s', async () => {
    const port = Number(new URL(gw!.url).port);
    const started = performance.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.on('close', () => resolve(performance.now() - started));
      s.on('error', () => {});
      setTimeout(() => {
        s.destroy();
        reject(new Error('still open after 20 s'));
      }, 20_000).unref();
    });
    expect(closedAfter).toBeGreaterThan(500);
    expect(closedAfter).toBeLessThan(10_000);
  });
});
