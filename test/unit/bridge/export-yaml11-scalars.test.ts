/**
 * Exported manifests say every string as a string to kubectl, which reads YAML as 1.1 does (sigs.k8s.io/yaml, over
 * go-yaml v2): `on`, `off`, `yes`, `no`, `y`, `n` are booleans there, `0b101` and `1_000` numbers, a date a timestamp.
 * The export wrote such strings plain, as YAML 1.2 allows — a header match on `x-debug: on`, a modelNameOverride `yes`,
 * a tenant's key `no` — and kubectl read a boolean where the CRD wants a string: the whole AIGatewayRoute (or the
 * Secret) refused. Such strings are quoted now, as are those YAML 1.2 reads otherwise (`0o7`).
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { exportProfile } from './profiles.js';

const PROFILE = `version: 1
backends:
  a: { url: http://vllm.example.com:8000/v1, headers: { x-beta: "on", x-build: "2024-08-06", x-n: "0o7" } }
models:
  m:
    targets: [{ backend: a, model: "yes" }]
    match:
      - when: { headers: { x-debug: "off", x-v: "0b101" } }
        targets: [{ backend: a, model: "1_000" }]
tenants:
  "y":
    keys: ["no"]
`;

/** Every string at any depth of a manifest, with its path. */
function strings(v: unknown, path = ''): [string, unknown][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => [[`${path}.${k}#key`, k] as [string, unknown], ...strings(x, `${path}.${k}`)]);
  return [[path, v]];
}

describe('exported strings YAML 1.1 would read as something else', () => {
  it('read as the same strings by a YAML 1.1 reader (kubectl) and a 1.2 one', () => {
    const out = exportProfile(PROFILE, {}, { namespace: 'default', gateway: 'aigw', includeSecrets: true });
    const text = renderStream(out.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
    const as12 = parseAllDocuments(text).map((d) => d.toJS());
    const as11 = parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS());
    expect(as12).toEqual(out.objects.map((o) => o.value));
    expect(strings(as11)).toEqual(strings(as12));
    const all = strings(as11).map(([, v]) => v);
    for (const s of ['on', 'off', 'yes', 'no', 'y', '0b101', '1_000', '2024-08-06', '0o7']) expect(all).toContain(s);
  });
});
