/**
 * The gateway listener's TLS (`tls: { cert, key, clientCa, requireClientCert }`): files read and checked at
 * load (a key that does not match its certificate is a profile problem, not a handshake failure later), turned
 * into node:https server options, and applied again to a running server on reload (new connections only).
 */
import { MAX_PROFILE_FILE_BYTES, readSmallFile } from '../core/small-file.js';
import { isAbsolute, resolve } from 'node:path';
import { constants, X509Certificate } from 'node:crypto';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Profile } from '../profile/schema.js';

export type TlsConfig = NonNullable<Profile['tls']>;

export interface TlsServerOptions {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  /** Ask for a client certificate (whenever clientCa is set, so mtls tenants work next to API keys). */
  requestCert: boolean;
  /** Refuse the handshake without a certificate verified against clientCa (requireClientCert). */
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2';
  /** SSL_OP_NO_TICKET with clientCa (no session resumption: see loadTlsOptions), else 0. */
  secureOptions: number;
}

export type TlsProblemCode = 'tls_file_unreadable' | 'tls_invalid';

export interface TlsProblem {
  code: TlsProblemCode;
  /** The profile key at fault: tls.cert, tls.key, tls.clientCa or tls.requireClientCert. */
  key: string;
  message: string;
}

export type TlsLoad = { ok: true; options: TlsServerOptions } | { ok: false; problem: TlsProblem };

async function read(path: string, baseDir: string, key: string): Promise<Buffer | TlsProblem> {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  // As the profile's check reads them (core/small-file.ts): a pipe or device put in a file's place between the
  // check and this read would otherwise block or fill the process.
  const r = await readSmallFile(full, MAX_PROFILE_FILE_BYTES);
  return Buffer.isBuffer(r) ? r : { code: 'tls_file_unreadable', key, message: `cannot read ${path}: ${r.problem}` };
}

/** Reads and checks the files of `tls`; relative paths resolve against `baseDir` (the profile's directory). */
export async function loadTlsOptions(cfg: TlsConfig, baseDir: string): Promise<TlsLoad> {
  if (cfg.requireClientCert && cfg.clientCa === undefined)
    return { ok: false, problem: { code: 'tls_invalid', key: 'tls.requireClientCert', message: 'requireClientCert needs tls.clientCa' } };
  const [cert, key, ca] = await Promise.all([
    read(cfg.cert, baseDir, 'tls.cert'),
    read(cfg.key, baseDir, 'tls.key'),
    cfg.clientCa === undefined ? undefined : read(cfg.clientCa, baseDir, 'tls.clientCa'),
  ]);
  for (const f of [cert, key, ca]) if (f !== undefined && !Buffer.isBuffer(f)) return { ok: false, problem: f };
  const options: TlsServerOptions = {
    cert: cert as Buffer,
    key: key as Buffer,
    ca: ca as Buffer | undefined,
    requestCert: cfg.clientCa !== undefined,
    rejectUnauthorized: cfg.requireClientCert,
    minVersion: 'TLSv1.2',
    // No session resumption where client certificates name tenants: a resumed session holds the client's certificate
    // but not the chain it sent at its full handshake, and the chain node:tls builds for it stops where tls.clientCa
    // holds no issuer — a certificate of an intermediate CA (the client sends it; the CA file holds the root) was
    // "not signed by the gateway's client CA" on every resumed connection, 401 for every request but a client's first
    // (node:https's and undici's agents resume by default). A full handshake gives auth/mtls.ts the chain to check.
    secureOptions: cfg.clientCa === undefined ? 0 : constants.SSL_OP_NO_TICKET,
  };
  try {
    createSecureContext(options);
  } catch (e) {
    // OpenSSL's reason (e.g. "key values mismatch"); it never contains key material.
    return { ok: false, problem: { code: 'tls_invalid', key: 'tls', message: (e as Error).message } };
  }
  return { ok: true, options };
}

/** Swaps a running server's certificates and client-certificate policy; connections already open keep theirs. */
export function applyTlsOptions(server: TlsServer, o: TlsServerOptions): void {
  server.setSecureContext({
    cert: o.cert,
    key: o.key,
    ...(o.ca ? { ca: o.ca } : {}),
    minVersion: o.minVersion,
    secureOptions: o.secureOptions,
  });
  // Read per connection by node:tls; setSecureContext leaves them alone.
  const policy = server as TlsServer & { requestCert: boolean; rejectUnauthorized: boolean };
  policy.requestCert = o.requestCert;
  policy.rejectUnauthorized = o.rejectUnauthorized;
}

/** Every label OpenSSL, and so node:tls, reads a trusted certificate under: the old `X509 CERTIFICATE` too. */
const PEM_CERTIFICATE = /-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----[^-]+-----END (?:TRUSTED |X509 )?CERTIFICATE-----/g;

/** The client CA file's certificates that parse (auth/mtls.ts checks a connection's chain against them). */
export function caCertificates(ca: Buffer | undefined): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of ca?.toString('latin1').match(PEM_CERTIFICATE) ?? []) {
    try {
      out.push(new X509Certificate(pem));
    } catch {
      // Not one node:tls trusts either.
    }
  }
  return out;
}

/**
 * The SHA-256 fingerprints of the client CA file's certificates, written as node:tls writes a peer certificate's
 * (auth/mtls.ts checks a connection's chain against them). Undefined when none reads as a certificate: the check
 * is then skipped, not failed for everyone.
 */
export function caFingerprints(ca: Buffer | undefined): ReadonlySet<string> | undefined {
  const out = new Set(caCertificates(ca).map((c) => c.fingerprint256));
  return out.size > 0 ? out : undefined;
}
