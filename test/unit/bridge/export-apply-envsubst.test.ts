/**
 * The apply step the export's first line gives. It said `envsubst < THIS_FILE | kubectl apply -f -`, and a bare
 * envsubst fills in every `$NAME` and `${NAME}` of the text, values included: a tenant key `pa$word` written by
 * --include-secrets went to the cluster as `pa` (that client refused, a two-letter key let in), a `$` in a header
 * value cut the same way. Now envsubst is given the placeholders' variables (it fills in those only),
 * and a file without placeholders is applied as it is.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { EXPORT_OPTS, exportProfile } from './profiles.js';
import { parseAllDocuments } from 'yaml';

const PROFILE = `version: 1
backends:
  b: { url: http://10.0.0.7:8000, apiKey: "\${B_KEY}", headers: { x-note: "cost$center" } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  t: { keys: ["pa$word"] }
`;

const ENV = { B_KEY: 'sk-b', word: 'LEAKED', center: 'X' };

/**
 * What the shell line in the file's header does to the text, as GNU envsubst does it: with a SHELL-FORMAT argument,
 * only the variables it names are filled in; without one, every `$NAME` and `${NAME}` (unset: empty).
 */
function applied(text: string, env: Record<string, string>): string {
  const header = text
    .split('\n---\n')[0]!
    .split('\n')
    .filter((l) => l.startsWith('#'))
    .join(' ');
  if (!/envsubst/.test(header)) return text;
  const format = /envsubst '([^']*)'/.exec(header)?.[1];
  const only = format === undefined ? undefined : new Set([...format.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((m) => m[1]!));
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (ref, a?: string, b?: string) => {
    const name = (a ?? b)!;
    return only && !only.has(name) ? ref : (env[name] ?? '');
  });
}

const rendered = (r: ExportResult) => renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
type Obj = { kind: string; metadata: { name: string } };
const objectsOf = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);
/** The value at a path of plain data, or undefined. */
const at = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined), v);

describe("the export's apply step", () => {
  it('placeholders: only their variables are filled in; a $ in a value stays as written', () => {
    const text = applied(rendered(exportProfile(PROFILE, ENV)), ENV);
    const objs = objectsOf(text);
    const secret = (name: string) => objs.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    expect(at(secret('b-apikey'), 'stringData', 'apiKey')).toBe('sk-b');
    const backend = objs.find((o) => o.kind === 'AIServiceBackend');
    expect(at(backend, 'spec', 'headerMutation', 'set', 0)).toEqual({ name: 'x-note', value: 'cost$center' });
  });

  it('--include-secrets: the real keys, applied as they are', () => {
    const text = rendered(exportProfile(PROFILE, ENV, { ...EXPORT_OPTS, includeSecrets: true }));
    const objs = objectsOf(applied(text, ENV));
    const secret = (name: string) => objs.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    expect(at(secret('aigw-tenant-keys'), 'stringData')).toEqual({ t: 'pa$word' });
    expect(at(secret('b-apikey'), 'stringData', 'apiKey')).toBe('sk-b');
  });

  it('is one line of the header, however many variables it names', () => {
    const names = Array.from({ length: 6 }, (_, i) => `TENANT_TEAM_NUMBER_${i}_KEY`);
    const profile = `version: 1
backends:
  a: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: a }] }
tenants:
${names.map((n, i) => `  t${i}: { keys: ["\${${n}}"] }`).join('\n')}
`;
    const env = Object.fromEntries(names.map((n, i) => [n, `sk-x-${i}`]));
    const header = rendered(exportProfile(profile, env))
      .split('\n')
      .filter((l) => l.startsWith('#'));
    const command = header.find((l) => l.includes('envsubst'));
    expect(command).toMatch(/^# +envsubst '[^']+' < THIS_FILE \| kubectl apply -f -$/);
    for (const n of names) expect(command).toContain(`\${${n}}`);
  });
});
