/**
 * The header lists the CRDs bound, exported: an AIGatewayRoute match takes at most 16 headers (the model's included),
 * each name at most 256 characters and each value 4,096, each name once (a list-map keyed on the name, which the API server enforces and a
 * JSON Schema cannot say); an AIServiceBackend's headerMutation.set the same (16; names of 256, values of 4,096). A profile
 * allows more, and each such object was written as it was: `kubectl apply` refused it whole — the AIGatewayRoute with
 * every model of it, the backend with its models. Each is left out now, said, and the rest validates.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
type Header = { name: string; value: string };
const objects = (r: ExportResult): Obj[] =>
  parseAllDocuments(renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)))).map((d) => d.toJS() as Obj);

/** Strictly against the CRD, and the list-map keys the API server checks (`x-kubernetes-list-map-keys: [name]`). */
function expectValid(r: ExportResult): void {
  for (const o of objects(r)) {
    const v = validateObject(o);
    expect(v, `${o.kind}/${o.metadata.name}: ${JSON.stringify(v)}`).toEqual({ ok: true });
    const lists: Header[][] =
      o.kind === 'AIGatewayRoute'
        ? (o.spec.rules as { matches: { headers: Header[] }[] }[]).flatMap((r) => r.matches.map((m) => m.headers))
        : o.kind === 'AIServiceBackend'
          ? [((o.spec.headerMutation as { set?: Header[] } | undefined)?.set ?? []) as Header[]]
          : [];
    for (const l of lists) expect(new Set(l.map((h) => h.name)).size, JSON.stringify(l.map((h) => h.name))).toBe(l.length);
  }
}

const rules = (r: ExportResult) =>
  objects(r).find((o) => o.kind === 'AIGatewayRoute')!.spec.rules as {
    matches: { headers: Header[] }[];
    backendRefs: { name: string }[];
  }[];

const model = (match: string) => `version: 1
backends: { b: { url: http://10.0.0.7:8000 }, c: { url: http://10.0.0.8:8000 } }
models:
  m:
    targets: [{ backend: b }]
    match: [${match}, { when: { headers: { x-tier: gold } }, targets: [{ backend: c }] }]
  n: { targets: [{ backend: c }] }
`;

const many = (n: number, prefix = 'x-h') => Array.from({ length: n }, (_, i) => `${prefix}${i}: v${i}`).join(', ');

describe.skipIf(!crdsAvailable)('route matches past the CRD', () => {
  it('a match on x-ai-eg-model itself (the rule matches it already): not exported, said; the route validates', () => {
    const out = exportProfile(model('{ when: { headers: { X-AI-EG-Model: other } }, targets: [{ backend: c }] }'));
    expect(out.warnings.join('\n')).toMatch(/^models\.m\.match\[0\]: .*x-ai-eg-model.*not exported/im);
    expect(rules(out).map((r) => r.matches[0]!.headers.map((h) => `${h.name}=${h.value}`).join(' '))).toEqual([
      'x-ai-eg-model=m x-tier=gold',
      'x-ai-eg-model=m',
      'x-ai-eg-model=n',
    ]);
    expectValid(out);
  });

  it('a match on 16 headers (17 with the model): not exported, said; one on 15 is', () => {
    const out = exportProfile(model(`{ when: { headers: { ${many(16)} } }, targets: [{ backend: c }] }`));
    expect(out.warnings.join('\n')).toMatch(/^models\.m\.match\[0\]: .*16 headers.*not exported/m);
    expect(rules(out)).toHaveLength(3);
    expectValid(out);
    const fits = exportProfile(model(`{ when: { headers: { ${many(15)} } }, targets: [{ backend: c }] }`));
    expect(rules(fits)).toHaveLength(4);
    expect(rules(fits)[0]!.matches[0]!.headers).toHaveLength(16);
    expectValid(fits);
  });

  it('a match on a value over 4,096 characters: not exported, said', () => {
    const out = exportProfile(model(`{ when: { headers: { x-sig: ${'v'.repeat(4097)} } }, targets: [{ backend: c }] }`));
    expect(out.warnings.join('\n')).toMatch(/^models\.m\.match\[0\]: .*x-sig.*4096.*not exported/m);
    expect(rules(out)).toHaveLength(3);
    expectValid(out);
  });

  it('a match on a header name over 256 characters: not exported, said', () => {
    const out = exportProfile(model(`{ when: { headers: { x-${'h'.repeat(255)}: v } }, targets: [{ backend: c }] }`));
    expect(out.warnings.join('\n')).toMatch(/^models\.m\.match\[0\]: .*name of 257 characters.*not exported/m);
    expect(rules(out)).toHaveLength(3);
    expectValid(out);
  });
});

describe.skipIf(!crdsAvailable)('backend headers past the CRD', () => {
  const backend = (headers: string) => `version: 1
backends: { b: { url: http://10.0.0.7:8000, headers: { ${headers} } } }
models: { m: { targets: [{ backend: b }] } }
`;
  const set = (r: ExportResult) =>
    ((objects(r).find((o) => o.kind === 'AIServiceBackend')!.spec.headerMutation as { set: Header[] } | undefined)?.set ?? []).map(
      (h) => h.name,
    );

  it('17 headers: the first 16 exported, the 17th named; the backend validates', () => {
    const out = exportProfile(backend(many(17)));
    expect(set(out)).toEqual(Array.from({ length: 16 }, (_, i) => `x-h${i}`));
    expect(out.warnings.join('\n')).toMatch(/^backends\.b\.headers\.x-h16: .*16.*not exported/m);
    expectValid(out);
  });

  it('a value over 4,096 characters: not exported, said; the other header is', () => {
    const out = exportProfile(backend(`x-big: ${'v'.repeat(4097)}, x-team: red`));
    expect(set(out)).toEqual(['x-team']);
    expect(out.warnings.join('\n')).toMatch(/^backends\.b\.headers\.x-big: .*4096.*not exported/m);
    expectValid(out);
  });

  it('a name over 256 characters: not exported, said', () => {
    const out = exportProfile(backend(`x-${'h'.repeat(255)}: v, x-team: red`));
    expect(set(out)).toEqual(['x-team']);
    expect(out.warnings.join('\n')).toMatch(/^backends\.b\.headers\.x-h+: a name of 257 characters.*not exported/m);
    expectValid(out);
  });
});
