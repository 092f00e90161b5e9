/**
 * `aigw export envoy` (issue 11, item 1): every exported object validates strictly against the CRDs in
 * ../shared (demo, buffer-gotcha and every fixture profile); the demo's export is a golden file
 * (UPDATE_GOLDEN=1 rewrites it); the choices the issue names are checked one by one.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exportEnvoy, type ExportResult } from '../../../src/bridge/envoy/export.js';
import { integerWeights } from '../../../src/bridge/envoy/export-route.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { imported } from './manifests.js';
import { EXPORT_OPTS, EXPORTABLE, exportProfile, loadFile } from './profiles.js';

const text = (r: ExportResult) => renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
const kinds = (r: ExportResult) => r.objects.map((o) => o.value.kind);
const find = (r: ExportResult, kind: string): unknown[] => r.objects.filter((o) => o.value.kind === kind).map((o) => o.value);
/** The value at a path of plain data (`at(x, 'spec', 'rules', 0)`), or undefined. */
const at = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined), v);
const all = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

describe('golden: the demo export', () => {
  it('fixtures/envoy/demo.yaml and demo.warnings', () => {
    const { profile, raw } = loadFile('profiles/demo.yaml');
    const out = exportEnvoy(profile, raw, EXPORT_OPTS);
    for (const [file, body] of [
      ['fixtures/envoy/demo.yaml', text(out)],
      ['fixtures/envoy/demo.warnings', `${out.warnings.join('\n')}\n`],
    ] as const) {
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, body);
      expect(body).toBe(readFileSync(file, 'utf8'));
    }
  });

  it('is the same bytes on every run (stable order)', () => {
    const a = loadFile('profiles/demo.yaml');
    const b = loadFile('profiles/demo.yaml');
    expect(text(exportEnvoy(a.profile, a.raw, EXPORT_OPTS))).toBe(text(exportEnvoy(b.profile, b.raw, EXPORT_OPTS)));
  });
});

describe.skipIf(!crdsAvailable)('every exported object validates strictly against the CRDs', () => {
  it.each(EXPORTABLE)('%s', (file) => {
    const { profile, raw } = loadFile(file);
    for (const includeSecrets of [false, true]) {
      const out = exportEnvoy(profile, raw, { ...EXPORT_OPTS, includeSecrets });
      // What kubectl reads: the rendered YAML, parsed back.
      for (const doc of parseAllDocuments(text(out))) {
        const obj = doc.toJS();
        const v = validateObject(obj);
        expect(v, `${obj.kind}/${obj.metadata?.name}: ${JSON.stringify(v)}`).toEqual({ ok: true });
      }
    }
  });

  it('limits.maxConnections is the ClientTrafficPolicy connectionLimit, valid, and read back by the import', () => {
    const yaml = `version: 1
limits: { maxConnections: 3000 }
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
`;
    const out = exportProfile(yaml);
    const ctp = find(out, 'ClientTrafficPolicy')[0];
    expect(at(ctp, 'spec', 'connection', 'connectionLimit')).toEqual({ value: 3000 });
    expect(validateObject(ctp)).toEqual({ ok: true });
    expect(
      at(
        find(exportProfile(yaml.replace('limits: { maxConnections: 3000 }\n', '')), 'ClientTrafficPolicy')[0],
        'spec',
        'connection',
        'connectionLimit',
      ),
    ).toBeUndefined();
    expect(imported(text(out)).profile.limits).toMatchObject({ maxConnections: 3000 });
  });

  it('is strict: the seed’s spec.responseBuffer.maxBytes is rejected; int-or-string and unknown kinds are told apart', () => {
    const ctp = { apiVersion: 'gateway.envoyproxy.io/v1alpha1', kind: 'ClientTrafficPolicy', metadata: { name: 'x' } };
    expect(validateObject({ ...ctp, spec: { connection: { bufferLimit: '50Mi' } } })).toEqual({ ok: true });
    expect(validateObject({ ...ctp, spec: { connection: { bufferLimit: 52428800 } } })).toEqual({ ok: true });
    expect(validateObject({ ...ctp, spec: { responseBuffer: { maxBytes: '50Mi' } } }).ok).toBe(false);
    expect(validateObject({ ...ctp, spec: { connection: { bufferLimit: '50 MB' } } }).ok).toBe(false);
    expect(validateObject({ ...ctp, metadata: { name: 'Not_A_Name' }, spec: {} }).ok).toBe(false);
    expect(validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } })).toEqual({ ok: 'unknown' });
  });
});
if (!crdsAvailable) {
  it.skip('CRD validation — SKIPPED: ../shared/spec/envoy-ai-gateway/crds is missing (CI always has it)', () => {});
  console.warn('\n*** bridge export: ../shared/spec/envoy-ai-gateway/crds is missing — CRD validation SKIPPED ***\n');
}

const BASE = `
version: 1
backends:
  a: { url: https://api.example.com/openai, apiKey: "\${UPSTREAM_KEY}" }
  b: { url: http://10.0.0.7:8000 }
models:
  m: { targets: [{ backend: a, model: up-m, weight: 2.5 }, { backend: b, weight: 7.5 }], fallbacks: [n] }
  n: { targets: [{ backend: b }] }
`;

describe('what the export writes', () => {
  const cases: { name: string; yaml: string; check: (r: ExportResult) => void }[] = [
    {
      name: 'passthrough → bufferLimit 50Mi on the Gateway, with the reason in a comment, and a warning',
      yaml: BASE,
      check: (r) => {
        expect(at(find(r, 'ClientTrafficPolicy')[0], 'spec', 'connection', 'bufferLimit')).toBe('50Mi');
        expect(text(r)).toMatch(/# .*Envoy Gateway's default is 32Ki/);
        expect(r.warnings.join('\n')).toMatch(/limits.responseBuffer.mode: passthrough cannot be expressed/);
      },
    },
    {
      name: 'buffered → bufferLimit = maxBytes (never the 32Ki default), request cap below it',
      yaml: `${BASE}limits: { maxRequestBytes: 1Mi, responseBuffer: { mode: buffered, maxBytes: 4Mi, onOverflow: envoy } }\n`,
      check: (r) => {
        expect(at(find(r, 'ClientTrafficPolicy')[0], 'spec', 'connection', 'bufferLimit')).toBe('4Mi');
        expect(at(find(r, 'BackendTrafficPolicy')[0], 'spec', 'requestBuffer')).toEqual({ limit: '1Mi' });
        expect(r.warnings.join('\n')).not.toMatch(/onOverflow/);
      },
    },
    {
      name: 'a header match listed after one it narrows → a warning: the cluster tries more headers first',
      yaml: BASE.replace(
        'n: { targets: [{ backend: b }] }',
        `n:
    targets: [{ backend: b }]
    match:
      - { when: { headers: { x-team: red } }, targets: [{ backend: a }] }
      - { when: { headers: { x-team: blue, x-tier: gold } }, targets: [{ backend: b }] }
      - { when: { headers: { x-team: red, x-tier: gold } }, targets: [{ backend: b }] }`,
      ),
      check: (r) => {
        const said = r.warnings.filter((w) => /tries matches with more headers first/.test(w));
        expect(said).toEqual([expect.stringMatching(/^models\.n\.match\[2\]: .*match\[0\]'s targets/)]);
      },
    },
    {
      name: 'onOverflow truncate → a warning saying the cluster answers 500 instead',
      yaml: `${BASE}limits: { responseBuffer: { mode: buffered, maxBytes: 1Mi, onOverflow: truncate } }\n`,
      check: (r) => expect(r.warnings.join('\n')).toMatch(/truncate: the cluster answers 500/),
    },
    {
      name: 'weights, fallbacks as priority, modelNameOverride where the upstream name differs',
      yaml: BASE,
      check: (r) => {
        const rules = all(at(find(r, 'AIGatewayRoute')[0], 'spec', 'rules'));
        expect(at(rules, 0, 'backendRefs')).toEqual([
          { name: 'a', weight: 25, priority: 0, modelNameOverride: 'up-m' },
          { name: 'b', weight: 75, priority: 0 },
          { name: 'b', weight: 1, priority: 1, modelNameOverride: 'n' },
        ]);
        expect(at(rules, 0, 'matches')).toEqual([{ headers: [{ type: 'Exact', name: 'x-ai-eg-model', value: 'm' }] }]);
        expect(r.warnings.join('\n')).not.toMatch(/rounded/);
      },
    },
    {
      name: 'Backend endpoints from the URL (fqdn or ip), TLS for https, a prefix for a base path',
      yaml: BASE,
      check: (r) => {
        const backends = find(r, 'Backend');
        expect(backends.map((b) => at(b, 'spec', 'endpoints', 0))).toEqual([
          { fqdn: { hostname: 'api.example.com', port: 443 } },
          { ip: { address: '10.0.0.7', port: 8000 } },
        ]);
        expect(find(r, 'BackendTLSPolicy').map((p) => at(p, 'spec', 'validation', 'hostname'))).toEqual(['api.example.com']);
        expect(at(find(r, 'AIServiceBackend')[0], 'spec', 'schema')).toEqual({ name: 'OpenAI', prefix: '/openai/v1' });
      },
    },
    {
      name: 'a backend key → BackendSecurityPolicy APIKey + Secret holding ${VAR}, never the value',
      yaml: BASE,
      check: (r) => {
        expect(at(find(r, 'BackendSecurityPolicy')[0], 'spec')).toMatchObject({
          type: 'APIKey',
          apiKey: { secretRef: { name: 'a-apikey' } },
        });
        expect(at(find(r, 'Secret')[0], 'stringData')).toEqual({ apiKey: '${UPSTREAM_KEY}' });
        expect(text(r)).not.toContain('sk-canary-upstream');
      },
    },
    {
      name: 'tenants → apiKeyAuth with forwardClientIDHeader, token limits charged from llmRequestCosts, requests one each',
      yaml:
        `${BASE}tenants:\n  acme: { keys: ["\${ACME_KEY}"], limits: { tpm: 1000, rpm: 10, concurrency: 2 },` +
        ' modelLimits: { n: { tpm: 50 } } }\n',
      check: (r) => {
        const sp = find(r, 'SecurityPolicy')[0];
        expect(at(sp, 'spec', 'apiKeyAuth', 'forwardClientIDHeader')).toBe('x-aigw-tenant');
        expect(at(find(r, 'Secret').at(0), 'stringData')).toEqual({ acme: '${ACME_KEY}' });
        const rules = all(at(find(r, 'BackendTrafficPolicy')[0], 'spec', 'rateLimit', 'global', 'rules'));
        expect(
          rules.map((x) => [at(x, 'limit', 'requests'), at(x, 'limit', 'unit'), at(x, 'cost', 'response', 'metadata', 'key') ?? 'request']),
        ).toEqual([
          [1000, 'Minute', 'llm_total_token'],
          [10, 'Minute', 'request'],
          [50, 'Minute', 'llm_total_token'],
        ]);
        expect(at(rules, 2, 'clientSelectors', 0, 'headers', 1)).toEqual({ name: 'x-ai-eg-model', type: 'Exact', value: 'n' });
        expect(at(find(r, 'AIGatewayRoute')[0], 'spec', 'llmRequestCosts')).toEqual([
          { metadataKey: 'llm_total_token', type: 'TotalToken' },
        ]);
        const w = r.warnings.join('\n');
        expect(w).toMatch(/tenants.acme.limits.concurrency: 2 cannot be expressed/);
        expect(w).toMatch(/charges tokens after each answer/);
      },
    },
    {
      name: 'a window that is not a rate-limit unit is scaled per minute, with a warning',
      yaml: `${BASE}limits: { rateWindow: 2s }\ntenants:\n  t: { keys: ["\${T_KEY}"], limits: { tpm: 100 } }\n`,
      check: (r) => {
        expect(at(find(r, 'BackendTrafficPolicy')[0], 'spec', 'rateLimit', 'global', 'rules', 0, 'limit')).toEqual({
          requests: 3000,
          unit: 'Minute',
        });
        expect(r.warnings.join('\n')).toMatch(/limits.rateWindow: 2s is not a rate-limit unit/);
      },
    },
    {
      name: 'sticky → consistent hash on the header, with the warning that targets are still drawn by weight',
      yaml: BASE.replace('fallbacks: [n] }', 'fallbacks: [n], sticky: { header: x-session-id } }'),
      check: (r) => {
        expect(at(find(r, 'BackendTrafficPolicy')[0], 'spec', 'loadBalancer')).toEqual({
          type: 'ConsistentHash',
          consistentHash: { type: 'Header', header: { name: 'x-session-id' } },
        });
        expect(r.warnings.join('\n')).toMatch(/models.\*.sticky: .*drawn at random/);
      },
    },
    {
      name: 'a tenant match rule cannot be routed on: a warning, not a silent drop',
      yaml:
        BASE.replace('fallbacks: [n] }', 'match: [{ when: { tenant: acme }, targets: [{ backend: a }] }] }') +
        'tenants:\n  acme: { keys: ["${ACME_KEY}"] }\n',
      check: (r) => {
        expect(all(at(find(r, 'AIGatewayRoute')[0], 'spec', 'rules'))).toHaveLength(2);
        expect(r.warnings.join('\n')).toMatch(/models.m.match\[0\]: the match on tenant "acme" is not exported/);
      },
    },
  ];
  it.each(cases)('$name', ({ yaml, check }) =>
    check(exportProfile(yaml, { UPSTREAM_KEY: 'sk-canary-upstream', ACME_KEY: 'sk-canary-acme', T_KEY: 'k' })),
  );

  it.each([
    { weights: [95, 5], out: [95, 5], rounded: false },
    { weights: [2.5, 7.5], out: [25, 75], rounded: false },
    { weights: [0.125, 1], out: [125, 1000], rounded: false },
    { weights: [1 / 3, 2 / 3], out: [500_000, 1_000_000], rounded: true },
    { weights: [1e-9, 1], out: [1, 1_000_000], rounded: true },
    { weights: [0, 1.5], out: [0, 15], rounded: false },
    // Gateway API's HTTPRoute, which the AIGatewayRoute becomes, takes weights up to 1,000,000.
    { weights: [1_000_000, 1], out: [1_000_000, 1], rounded: false },
    { weights: [3_000_000, 1_000_000], out: [3, 1], rounded: false },
    { weights: [3_000_001, 1_000_000], out: [1_000_000, 333_333], rounded: true },
    // Rounded on the field's whole range: a 0.5 canary beside 100,001 is 5 in 1,000,005, not 1 in 1,001 (200× its share).
    { weights: [100_001, 0.5], out: [1_000_000, 5], rounded: true },
  ])('weights $weights → $out (rounded: $rounded)', ({ weights, out, rounded }) => {
    expect(integerWeights(weights)).toEqual({ weights: out, rounded });
  });

  it('--include-secrets writes the real values, and only then', () => {
    const env = { UPSTREAM_KEY: 'sk-canary-upstream', ACME_KEY: 'sk-canary-acme' };
    const yaml = `${BASE}tenants:\n  acme: { keys: ["\${ACME_KEY}"] }\n`;
    const without = text(exportProfile(yaml, env));
    const withSecrets = text(exportProfile(yaml, env, { ...EXPORT_OPTS, includeSecrets: true }));
    for (const canary of Object.values(env)) {
      expect(without).not.toContain(canary);
      expect(withSecrets).toContain(canary);
    }
  });

  it('names follow DNS-1123 and stay distinct; --namespace and --gateway name everything', () => {
    const r = exportProfile(
      'version: 1\nbackends:\n  Vllm_A: { url: "http://h:1" }\n  vllm.a: { url: "http://h:2" }\n' +
        'models:\n  m: { targets: [{ backend: Vllm_A }, { backend: vllm.a }] }\n',
      {},
      { ...EXPORT_OPTS, namespace: 'ai', gateway: 'edge' },
    );
    expect(find(r, 'Backend').map((b) => at(b, 'metadata', 'name'))).toEqual(['vllm-a', 'vllm-a-2']);
    expect(new Set(r.objects.filter((o) => o.value.kind !== 'GatewayClass').map((o) => at(o.value, 'metadata', 'namespace')))).toEqual(
      new Set(['ai']),
    );
    expect(at(find(r, 'AIGatewayRoute')[0], 'metadata', 'name')).toBe('edge');
    expect(kinds(r)).toEqual([
      'GatewayClass',
      'Gateway',
      'ClientTrafficPolicy',
      'AIGatewayRoute',
      'BackendTrafficPolicy',
      'AIServiceBackend',
      'Backend',
      'AIServiceBackend',
      'Backend',
    ]);
  });
});

describe('a tenant key with a default', () => {
  it('is written as its variable, and the dropped default said (envsubst would leave the key empty), never its value', () => {
    const yaml = `version: 1
backends:
  b: { url: https://api.example.com }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: ["\${T_KEY:-sk-canary-tenant-default}"] }
`;
    const r = exportProfile(yaml, {});
    const w = r.warnings.join('\n');
    expect(w).toMatch(/^tenants.t.keys.0: the default of \$\{T_KEY:-…\} is not carried: .* set T_KEY before applying$/m);
    expect(`${text(r)}\n${w}`).not.toMatch(/sk-canary/);
    expect(text(r)).toContain('${T_KEY}');
  });
});

describe('credential headers of a backend', () => {
  const yaml = `version: 1
backends:
  b:
    url: https://api.example.com
    apiKey: "\${B_KEY:-sk-canary-apikey-default}"
    headers: { proxy-authorization: "Bearer sk-canary-header", x-org: "\${ORG_TOKEN:-sk-canary-org-default}", x-team: "t\${TEAM}", x-note: plain }
models:
  m: { targets: [{ backend: b }] }
`;
  const env = { TEAM: 'sk-canary-team' };
  const headers = (r: ExportResult) => at(find(r, 'AIServiceBackend')[0], 'spec', 'headerMutation', 'set');

  it('are placeholders, as an apiKey is: a literal key header by backend and header, a ${VAR} as the variable', () => {
    const r = exportProfile(yaml, env);
    expect(headers(r)).toEqual([
      { name: 'proxy-authorization', value: '${B_HEADER_PROXY_AUTHORIZATION}' },
      { name: 'x-org', value: '${ORG_TOKEN}' },
      { name: 'x-team', value: 't${TEAM}' },
      { name: 'x-note', value: 'plain' },
    ]);
    // No value reaches the manifests or the warnings, defaults included.
    expect(`${text(r)}\n${r.warnings.join('\n')}`).not.toMatch(/sk-canary/);
    const w = r.warnings.join('\n');
    expect(w).toMatch(
      /^backends.b.headers.proxy-authorization: a credential, written as \$\{B_HEADER_PROXY_AUTHORIZATION\} \(the whole value\)/m,
    );
    // envsubst fills in no defaults: `${VAR:-d}` is written `${VAR}`, and said — for headers and the apiKey alike.
    expect(w).toMatch(/^backends.b.headers.x-org: the default of \$\{ORG_TOKEN:-…\} is not carried: .* set ORG_TOKEN before applying$/m);
    expect(w).toMatch(/^backends.b.apiKey: the default of \$\{B_KEY:-…\} is not carried/m);
    expect(at(find(r, 'Secret')[0], 'stringData')).toEqual({ apiKey: '${B_KEY}' });
    expect(w).not.toMatch(/x-note/);
  });

  it("are placeholders whatever the credential is called, by the profile's own rule (x-goog-api-key, ocp-apim-subscription-key, x-amz-security-token)", () => {
    const r = exportProfile(`version: 1
backends:
  gemini:
    url: https://generativelanguage.googleapis.com/v1beta/openai
    headers: { x-goog-api-key: "AIzaSy-canary-goog", ocp-apim-subscription-key: "apim-canary-sub", x-amz-security-token: "amz-canary-tok", x-portkey-provider: google }
models:
  gem: { targets: [{ backend: gemini }] }
`);
    expect(headers(r)).toEqual([
      { name: 'x-goog-api-key', value: '${GEMINI_HEADER_X_GOOG_API_KEY}' },
      { name: 'ocp-apim-subscription-key', value: '${GEMINI_HEADER_OCP_APIM_SUBSCRIPTION_KEY}' },
      { name: 'x-amz-security-token', value: '${GEMINI_HEADER_X_AMZ_SECURITY_TOKEN}' },
      // Not a credential by its name (a substring match would have made "provider" one).
      { name: 'x-portkey-provider', value: 'google' },
    ]);
    expect(`${text(r)}\n${r.warnings.join('\n')}`).not.toMatch(/canary/);
  });

  it('--include-secrets writes their real values, said', () => {
    const r = exportProfile(yaml, env, { ...EXPORT_OPTS, includeSecrets: true });
    expect(headers(r)).toEqual([
      { name: 'proxy-authorization', value: 'Bearer sk-canary-header' },
      { name: 'x-org', value: 'sk-canary-org-default' },
      { name: 'x-team', value: 'tsk-canary-team' },
      { name: 'x-note', value: 'plain' },
    ]);
    expect(r.warnings.join('\n')).toMatch(
      /^backends.b.headers.proxy-authorization: a credential, written as its real value \(--include-secrets\)/m,
    );
  });

  it.skipIf(!crdsAvailable)('the AIServiceBackend with placeholders validates against its CRD', () => {
    for (const o of exportProfile(yaml, env).objects) expect(validateObject(o.value).ok, JSON.stringify(o.value)).not.toBe(false);
  });
});
