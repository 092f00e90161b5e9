/**
 * A Backend's address as its CRD takes it. The endpoint's `ip.address` pattern admits an IPv6 address in full, or
 * compressed only in a few shapes: `::1`, `fd00::10:0:0:5` or `2001:db8::` — a URL's host as WHATWG writes it — were
 * refused, and with them the Backend (its models routed nowhere). `fqdn.hostname` refuses a trailing dot (an absolute
 * name, `api.example.com.`), which names the same host.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { imported } from './manifests.js';
import { exportProfile } from './profiles.js';

const exportOf = (url: string): ExportResult =>
  exportProfile(`version: 1
backends: { b: { url: "${url}" } }
models: { m: { targets: [{ backend: b }] } }
`);

const endpointOf = (r: ExportResult) =>
  (
    r.objects.find((o) => o.value.kind === 'Backend')!.value as {
      spec: { endpoints: Record<string, { address?: string; hostname?: string }>[] };
    }
  ).spec.endpoints[0]!;

describe.skipIf(!crdsAvailable)('Backend addresses the CRD takes', () => {
  it.each([
    ['http://[::1]:8000', '0:0:0:0:0:0:0:1'],
    ['http://[fd00::10:0:0:5]:8000', 'fd00:0:0:0:10:0:0:5'],
    ['http://[2001:db8::]:8000', '2001:db8:0:0:0:0:0:0'],
    ['http://[::ffff:10.0.0.7]:8000', '0:0:0:0:0:ffff:a00:7'],
  ])('%s: written in full, valid, and imported back to the same URL', (url, address) => {
    const r = exportOf(url);
    expect(endpointOf(r).ip?.address).toBe(address);
    for (const o of r.objects) expect(validateObject(o.value), String(o.value.kind)).toEqual({ ok: true });
    const back = imported(renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header))));
    expect(back.problems).toEqual([]);
    const backends = back.profile.backends as Record<string, { url: string }>;
    expect(new URL(backends.b!.url).href).toBe(new URL(url).href);
  });

  it('a host with a trailing dot: written without it, the TLS policy too, valid', () => {
    const r = exportOf('https://api.example.com.:8443');
    expect(endpointOf(r).fqdn?.hostname).toBe('api.example.com');
    for (const o of r.objects) expect(validateObject(o.value), String(o.value.kind)).toEqual({ ok: true });
  });
});
