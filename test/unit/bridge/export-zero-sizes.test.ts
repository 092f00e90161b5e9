/**
 * A profile size of 0 (`maxBytes: 0`, `maxRequestBytes: 0`: every body over it) exported as the quantity "0", which
 * Envoy Gateway's CRD pattern (`^[1-9]+[0-9]*…`) refuses: `kubectl apply` refused the ClientTrafficPolicy (the
 * Gateway kept its 32Ki default) or the BackendTrafficPolicy (no retries, no ejection, no rate limits). Written as
 * 1 byte now — no request body or answer fits either — and said.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
const objects = (r: ExportResult): Obj[] =>
  parseAllDocuments(renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)))).map((d) => d.toJS() as Obj);

const exportOf = (limits: string): ExportResult =>
  exportProfile(`version: 1
limits: ${limits}
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
`);

const spec = (r: ExportResult, kind: string) => objects(r).find((o) => o.kind === kind)!.spec;

describe.skipIf(!crdsAvailable)('a size of 0, exported', () => {
  it.each([
    ['buffered maxBytes: 0', '{ responseBuffer: { mode: buffered, maxBytes: 0, onOverflow: envoy }, maxRequestBytes: 0 }'],
    ['maxRequestBytes: 0', '{ maxRequestBytes: 0 }'],
    ['buffered maxBytes: 0 with the default maxRequestBytes', '{ responseBuffer: { mode: buffered, maxBytes: 0 } }'],
  ])('%s: every object validates against its CRD', (_name, limits) => {
    for (const o of objects(exportOf(limits))) {
      const v = validateObject(o);
      expect(v, `${o.kind}/${o.metadata.name}: ${JSON.stringify(v)}`).toEqual({ ok: true });
    }
  });

  it('buffered maxBytes: 0 is a bufferLimit of 1 byte, said', () => {
    const r = exportOf('{ responseBuffer: { mode: buffered, maxBytes: 0, onOverflow: envoy }, maxRequestBytes: 0 }');
    expect((spec(r, 'ClientTrafficPolicy').connection as { bufferLimit: unknown }).bufferLimit).toBe('1');
    expect(r.warnings.join('\n')).toMatch(/^limits\.responseBuffer\.maxBytes: 0 is not a quantity Envoy Gateway's bufferLimit takes/m);
  });

  it('maxRequestBytes: 0 is a requestBuffer limit of 1 byte, said', () => {
    const r = exportOf('{ maxRequestBytes: 0 }');
    expect(spec(r, 'BackendTrafficPolicy').requestBuffer).toEqual({ limit: '1' });
    expect(r.warnings.join('\n')).toMatch(/^limits\.maxRequestBytes: 0 is not a quantity Envoy Gateway's requestBuffer\.limit takes/m);
  });

  it('a size of 1 is written as it is, nothing said', () => {
    const r = exportOf('{ maxRequestBytes: 1 }');
    expect(spec(r, 'BackendTrafficPolicy').requestBuffer).toEqual({ limit: '1' });
    expect(r.warnings.join('\n')).not.toMatch(/is not a quantity/);
  });
});
