/**
 * A connection buffer past what Envoy holds: Envoy Gateway reads `bufferLimit` into a uint32 and refuses a
 * ClientTrafficPolicy whose limit is over 4,294,967,295 bytes ("BufferLimit value … is out of range") — its CRD's
 * pattern lets any quantity through, so `kubectl apply` says nothing. `4Gi` is one byte past it. Refused, the policy
 * is not applied and the Gateway keeps Envoy Gateway's 32Ki: every prompt over 32Ki a 413, every non-streamed answer
 * over it a 500. The export wrote `maxBytes: 4Gi` (or a passthrough profile's `maxRequestBytes: 8Gi`) as it was, and
 * the import read such a policy as a 4Gi buffer.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { BASE, docs, imported } from './manifests.js';
import { exportProfile } from './profiles.js';

function exportOf(limits: string): ExportResult {
  return exportProfile(`version: 1
limits: ${limits}
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
`);
}

const bufferLimit = (r: ExportResult) =>
  (r.objects.find((o) => o.value.kind === 'ClientTrafficPolicy')!.value as { spec: { connection: { bufferLimit: unknown } } }).spec
    .connection.bufferLimit;

/** What Envoy Gateway's translator takes: a whole number of bytes no larger than a uint32. */
function envoyAccepts(v: unknown): boolean {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(v));
  if (!m) return false;
  const bytes = Number(m[1]) * { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? '']!;
  return bytes <= 4_294_967_295;
}

describe('export: a buffer Envoy Gateway takes', () => {
  it('buffered maxBytes 4Gi: the largest Envoy holds, said', () => {
    const r = exportOf('{ responseBuffer: { mode: buffered, maxBytes: 4Gi, onOverflow: envoy }, maxRequestBytes: 1Mi }');
    expect(envoyAccepts(bufferLimit(r)), String(bufferLimit(r))).toBe(true);
    expect(bufferLimit(r)).toBe('4294967295');
    expect(r.warnings.join('\n')).toMatch(/^limits\.responseBuffer\.maxBytes: 4Gi is more than Envoy's connection buffer holds/m);
  });

  it('passthrough with maxRequestBytes 8Gi: the same bound', () => {
    const r = exportOf('{ maxRequestBytes: 8Gi }');
    expect(envoyAccepts(bufferLimit(r)), String(bufferLimit(r))).toBe(true);
  });

  it('3Gi is written as it is, nothing said of the bound', () => {
    const r = exportOf('{ responseBuffer: { mode: buffered, maxBytes: 3Gi, onOverflow: envoy }, maxRequestBytes: 1Mi }');
    expect(bufferLimit(r)).toBe('3Gi');
    expect(r.warnings.join('\n')).not.toMatch(/connection buffer holds/);
  });
});

describe('import: a ClientTrafficPolicy Envoy Gateway refuses', () => {
  const ctp = (limit: string, more = '') =>
    `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: ctp}\n` +
    `spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n  connection: {bufferLimit: ${limit}}\n${more}`;

  it('bufferLimit 4Gi: the 32Ki the Gateway keeps, said', () => {
    const r = imported(docs(BASE, ctp('4Gi')));
    expect(r.problems).toEqual([]);
    expect(r.profile.limits).toMatchObject({ responseBuffer: { maxBytes: '32Ki' }, maxRequestBytes: '32Ki' });
    expect(r.said).toMatch(/spec.connection.bufferLimit: .*out of range.*32Ki/);
  });

  it('the refused policy’s request timeout does not apply either, said', () => {
    const more = '  timeout: {http: {requestReceivedTimeout: 5s}}\n';
    expect((imported(docs(BASE, ctp('1Mi', more))).profile.timeouts as Record<string, unknown>).request).toBe('5s');
    const r = imported(docs(BASE, ctp('4Gi', more)));
    expect((r.profile.timeouts as Record<string, unknown>).request).toBeUndefined();
    expect(r.said).toMatch(/spec.timeout.http.requestReceivedTimeout: not imported: Envoy Gateway refuses this ClientTrafficPolicy/);
  });

  it('bufferLimit 4294967295 is taken as it is', () => {
    const r = imported(docs(BASE, ctp('4294967295')));
    expect(r.profile.limits).toMatchObject({ responseBuffer: { maxBytes: '4294967295' } });
  });
});
