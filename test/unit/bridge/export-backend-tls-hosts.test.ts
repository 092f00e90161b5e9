/**
 * An https backend the BackendTLSPolicy cannot name. Its `hostname` (the SNI, and the name the certificate is checked
 * against) takes an RFC 1123 name only: at an IPv6 address (`https://[2001:db8::7]:8443`) the export wrote the address
 * there, and `kubectl apply` refused the policy — Envoy then spoke plain HTTP to a TLS port. At a host name with `_`
 * (`https://llm_gpu.internal:8443`, which a URL and aigw take) the policy was refused, and the Backend too: its
 * `fqdn.hostname` has the same pattern. Now the IPv6 backend's TLS is the Backend's own `tls` (system CAs) and the
 * difference is said; a `_` host, which no Backend can name, is left out and said. An IPv4 address
 * (`https://10.0.0.5:8443`) passes the pattern, and the export wrote it as the hostname (trust 86): no host name (RFC
 * 6066: an SNI carries no literal address), so Envoy sent the address as SNI and checked the certificate against it.
 * It goes the IPv6 address's way.
 */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { imported } from './manifests.js';
import { exportProfile } from './profiles.js';

const exportOf = (url: string): ExportResult =>
  exportProfile(`version: 1
backends: { b: { url: "${url}" }, c: { url: "https://api.example.com" } }
models: { m: { targets: [{ backend: b }] }, n: { targets: [{ backend: c }] } }
`);

const kinds = (r: ExportResult) => r.objects.map((o) => `${String(o.value.kind)}/${(o.value.metadata as { name: string }).name}`);

function expectValid(r: ExportResult): void {
  for (const o of r.objects) {
    const v = validateObject(o.value);
    expect(v, `${String(o.value.kind)}: ${JSON.stringify(v)}`).toEqual({ ok: true });
  }
}

describe.skipIf(!crdsAvailable)('https backends the BackendTLSPolicy cannot name', () => {
  it.each(['https://[2001:db8::7]:8443', 'https://[::1]:8443', 'https://10.0.0.5:8443', 'https://127.0.0.1:8443'])(
    '%s: TLS on the Backend itself, valid, said, imported back as https',
    (url) => {
      const r = exportOf(url);
      expectValid(r);
      expect(kinds(r)).not.toContain('BackendTLSPolicy/b-tls');
      expect(kinds(r)).toContain('BackendTLSPolicy/c-tls');
      const backend = r.objects.find((o) => o.value.kind === 'Backend')!.value as { spec: { tls?: unknown } };
      expect(backend.spec.tls).toEqual({ wellKnownCACertificates: 'System' });
      expect(r.warnings.join('\n')).toMatch(/^backends\.b\.url: https at the address .*must be a DNS name/m);
      const back = imported(renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header))));
      expect(back.problems).toEqual([]);
      expect(new URL((back.profile.backends as Record<string, { url: string }>).b!.url).href).toBe(new URL(url).href);
    },
  );

  it.each(['https://llm_gpu.internal:8443', 'http://llm_gpu.internal:8000'])(
    '%s: no Backend can name it — left out, said; the rest validates',
    (url) => {
      const r = exportOf(url);
      expectValid(r);
      expect(kinds(r).filter((k) => /^(Backend|BackendTLSPolicy)\/b(-tls)?$/.test(k))).toEqual([]);
      expect(r.warnings.join('\n')).toMatch(/^backends\.b\.url: llm_gpu\.internal is not a host name the Backend CRD takes/m);
    },
  );

  it('no exported BackendTLSPolicy names an address as its hostname', () => {
    for (const url of ['https://10.0.0.5:8443', 'https://[2001:db8::7]:8443', 'https://gpu-1.internal:8443']) {
      for (const o of exportOf(url).objects.filter((x) => x.value.kind === 'BackendTLSPolicy')) {
        const hostname = (o.value.spec as { validation: { hostname: string } }).validation.hostname;
        expect(isIP(hostname), `${url}: ${hostname}`).toBe(0);
      }
    }
  });

  it('an https host by name keeps its BackendTLSPolicy, nothing said', () => {
    const r = exportOf('https://gpu-1.internal:8443');
    expectValid(r);
    expect(kinds(r)).toContain('BackendTLSPolicy/b-tls');
    expect(r.warnings.join('\n')).not.toMatch(/backends\.b\.url/);
  });
});
