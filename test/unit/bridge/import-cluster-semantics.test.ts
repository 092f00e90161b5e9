/**
 * The import reads manifests as the cluster applies them (Envoy AI Gateway v1.1.0, Envoy Gateway v1.8.1, kubectl):
 * who it lets in, which header match wins, how long it waits for headers, what kubectl itself accepts. Each of these
 * imported differently before, and silently.
 */
import { describe, expect, it } from 'vitest';
import { BASE, backend, docs, imported } from './manifests.js';

type Models = Record<
  string,
  { targets: { backend: string }[]; match?: { when: { headers: Record<string, string> }; targets: { backend: string }[] }[] }
>;

const GW = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, labels: {app: gw, tier: edge}}
spec: {gatewayClassName: eg, listeners: [{name: http, protocol: HTTP, port: 80}]}`;

const policy = (attach: string, auth: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: auth}
spec:
  ${attach}
  ${auth}`;
const ON_GATEWAY = 'targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]';
const KEYS = `apiKeyAuth:
    credentialRefs: [{name: keys}]
    extractFrom: [{headers: [x-api-key]}]
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {client1: "\${CLIENT1_KEY}"}`;

describe('authentication the cluster enforces is never imported as an open profile', () => {
  it.each([
    ['basicAuth', 'basicAuth: {users: {name: htpasswd}}', /password \(basicAuth\)/],
    ['jwt', 'jwt: {providers: [{name: p, remoteJWKS: {uri: "https://idp.example.com/jwks"}}]}', /JWT \(aigw has auth\.jwt/],
    ['oidc', 'oidc: {provider: {issuer: "https://idp.example.com"}, clientID: c, clientSecret: {name: s}}', /OIDC/],
    ['extAuth', 'extAuth: {http: {backendRefs: [{name: authz, port: 80}]}}', /external service/],
    ['authorization', 'authorization: {defaultAction: Deny}', /authorization rules/],
  ])('%s on the Gateway: refused, naming the check', (_field, auth, said) => {
    const r = imported(docs(BASE, GW, policy(ON_GATEWAY, auth)));
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(said);
    expect(r.problems[0]!.message).toMatch(/the profile would let anyone in/);
  });

  it('apiKeyAuth and jwt in one policy: refused for the JWT, though the keys could be imported', () => {
    const r = imported(docs(BASE, GW, policy(ON_GATEWAY, `jwt: {providers: [{name: p}]}\n  ${KEYS}`)));
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/JWT/);
  });

  it('apiKeyAuth attached by targetSelectors whose labels the Gateway carries: its tenants are imported', () => {
    for (const selector of [
      'matchLabels: {app: gw}',
      'matchExpressions: [{key: tier, operator: In, values: [edge, core]}]',
      'matchExpressions: [{key: app, operator: Exists}, {key: canary, operator: DoesNotExist}]',
    ]) {
      const r = imported(docs(BASE, GW, policy(`targetSelectors: [{group: gateway.networking.k8s.io, kind: Gateway, ${selector}}]`, KEYS)));
      expect(r.problems).toEqual([]);
      expect(Object.keys(r.profile.tenants as object)).toEqual(['client1']);
    }
  });

  it("targetSelectors the Gateway's labels do not meet: the policy is not applied (and said to be skipped)", () => {
    for (const selector of ['matchLabels: {app: other}', 'matchExpressions: [{key: tier, operator: NotIn, values: [edge]}]']) {
      const r = imported(docs(BASE, GW, policy(`targetSelectors: [{kind: Gateway, ${selector}}]`, 'basicAuth: {users: {name: htpasswd}}')));
      expect(r.problems).toEqual([]);
      expect(r.profile.tenants).toBeUndefined();
    }
  });

  it('malformed targetSelectors (not a list, no kind, an unknown operator, values not a list): select nothing, no throw', () => {
    for (const selectors of [
      '"Gateway"',
      '[{matchLabels: {app: gw}}]',
      '[{kind: Gateway, matchExpressions: [{key: app, operator: Bogus, values: [gw]}]}]',
      '[{kind: Gateway, matchExpressions: [{key: app, operator: In, values: gw}]}]',
      '[{kind: Gateway, matchLabels: [app, gw]}, null, 7]',
    ]) {
      const r = imported(docs(BASE, GW, policy(`targetSelectors: ${selectors}`, 'basicAuth: {users: {name: htpasswd}}')));
      expect(r.problems).toEqual([]);
    }
  });

  it('targetSelectors on a Gateway that is not among the files: taken to select it, and said', () => {
    const r = imported(
      docs(BASE, policy('targetSelectors: [{kind: Gateway, matchLabels: {app: gw}}]', 'basicAuth: {users: {name: htpasswd}}')),
    );
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/basicAuth/);
    expect(r.said).toMatch(/Gateway default\/gw is not among the files, so its labels are unknown: taken to be selected/);
  });
});

describe('Gateway API match precedence', () => {
  it('of header matches on one model, more headers first, the file order among equals', () => {
    const rule = (headers: string, to: string) =>
      `    - matches: [{headers: [{name: x-ai-eg-model, value: m1}${headers}]}]\n      backendRefs: [{name: ${to}}]`;
    const r = imported(
      docs(
        `apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: r}\nspec:\n  rules:\n` +
          [
            rule('', 'b1'),
            rule(', {name: x-team, value: red}', 'b2'),
            rule(', {name: x-team, value: red}, {name: x-tier, value: gold}', 'b3'),
            rule(', {name: x-team, value: blue}', 'b4'),
          ].join('\n'),
        backend('b1'),
        backend('b2'),
        backend('b3'),
        backend('b4'),
      ),
    );
    const m1 = (r.profile.models as Models).m1!;
    expect(m1.targets[0]!.backend).toBe('b1');
    expect(m1.match!.map((m) => m.targets[0]!.backend)).toEqual(['b3', 'b2', 'b4']);
  });
});

describe('how long the cluster waits for headers', () => {
  it('timeouts.request 0s (no deadline): the wait is the stream idle timeout (Envoy 5m by default)', () => {
    const r = imported(BASE.replace('backendRefs: [{name: b1}]', 'timeouts: {request: 0s}\n      backendRefs: [{name: b1}]'));
    expect(r.profile.timeouts).toMatchObject({ firstByte: '5m' });
  });

  it('a 5s streamIdleTimeout bounds the wait for headers under a 30s request timeout', () => {
    const r = imported(
      BASE.replace('backendRefs: [{name: b1}]', 'timeouts: {request: 30s}\n      streamIdleTimeout: 5s\n      backendRefs: [{name: b1}]'),
    );
    expect(r.profile.timeouts).toMatchObject({ firstByte: '5s', idle: '5s' });
  });

  it('request and stream idle timeouts both 0s: no firstByte is imported, and that is said', () => {
    const r = imported(
      BASE.replace('backendRefs: [{name: b1}]', 'timeouts: {request: 0s}\n      streamIdleTimeout: 0s\n      backendRefs: [{name: b1}]'),
    );
    expect(r.profile.timeouts).not.toHaveProperty('firstByte');
    expect(r.said).toMatch(/without a deadline: aigw waits timeouts.firstByte/);
  });
});

describe('what kubectl reads', () => {
  it('kind: List (kubectl get -o yaml) is read item by item, each item placed at its own line', () => {
    const list = `apiVersion: v1
kind: List
items:
  - apiVersion: aigateway.envoyproxy.io/v1beta1
    kind: AIGatewayRoute
    metadata: {name: r}
    spec:
      rules:
        - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]
          backendRefs: [{name: b1}]
  - apiVersion: aigateway.envoyproxy.io/v1beta1
    kind: AIServiceBackend
    metadata: {name: b1}
    spec: {schema: {name: OpenAI}, backendRef: {name: b1, kind: Backend, group: gateway.envoyproxy.io}}
`;
    const r = imported(list);
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.models as object)).toEqual(['m1']);
    const bad = imported(`${list}  - just text\n`);
    expect(bad.problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['15: expected a Kubernetes object with apiVersion and kind']);
  });

  it("YAML merge keys (<<), which kubectl (go-yaml) applies: the merged keys beside the map's own", () => {
    const r = imported(
      docs(
        BASE.replace(
          '      backendRefs: [{name: b1}]',
          '      backendRefs: [&ref {name: b1}]\n' +
            '    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m2}]}]\n' +
            '      backendRefs: [{<<: *ref, modelNameOverride: real-m2}]',
        ),
      ),
    );
    const models = r.profile.models as Record<string, { targets: { backend: string; model?: string }[] }>;
    expect(models.m2!.targets).toEqual([expect.objectContaining({ backend: 'b1', model: 'real-m2' })]);
    expect(models.m1!.targets).toEqual([expect.objectContaining({ backend: 'b1' })]);
  });

  it('a merge key naming a text, not a map, is a problem', () => {
    const r = imported(BASE.replace('metadata: {name: r}', 'metadata: {name: r, <<: just-text}'));
    expect(r.problems.map((p) => p.message)).toContain('a merge key (<<) takes a map or a list of maps');
  });

  it('metadata.namespace "" is the default namespace, as kubectl applies it', () => {
    const r = imported(
      BASE.replace('kind: AIServiceBackend\nmetadata: {name: b1}', 'kind: AIServiceBackend\nmetadata: {name: b1, namespace: ""}'),
    );
    expect((r.profile.models as Models).m1?.targets[0]?.backend).toBe('b1');
  });
});

describe('what the import cannot carry over is said', () => {
  it('a backend Secret without the key `apiKey` (the only one Envoy AI Gateway reads): a warning at the Secret', () => {
    const r = imported(
      docs(
        BASE,
        `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: k}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: b1}]
  type: APIKey
  apiKey: {secretRef: {name: s}}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {api-key: "\${S_KEY}"}`,
      ),
    );
    expect(r.said).toMatch(/Secret\/default\/s: the Secret has no key named apiKey/);
  });

  /** The base import with a BackendTrafficPolicy on its route holding `spec` (one line of YAML). */
  const withTrafficPolicy = (spec: string) =>
    imported(
      docs(
        BASE,
        `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: t}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  ${spec}`,
      ),
    );

  it('retry.retryOn and numAttemptsPerPriority: each a warning, not read in silence', () => {
    const r = withTrafficPolicy('retry: {numRetries: 1, retryOn: {httpStatusCodes: [500]}, numAttemptsPerPriority: 1}');
    expect(r.said).toMatch(/retry\.retryOn: not imported/);
    expect(r.said).toMatch(/retry\.numAttemptsPerPriority: not imported/);
    expect(r.profile.resilience).toMatchObject({ attempts: 2 });
  });

  it("a BackendTrafficPolicy's connection.bufferLimit: said to be the backend side's, not the client's answer bound", () => {
    const r = withTrafficPolicy('connection: {bufferLimit: 50Mi}');
    expect(r.said).toMatch(/connection\.bufferLimit: the backend side's connection buffer .* limits\.responseBuffer imports/);
    expect(r.said).not.toMatch(/connection\.bufferLimit: not mapped/);
  });
});

describe('a JWT the cluster enforces, hidden from the import another way (a second review)', () => {
  const REFS = 'targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]';
  const JWT = 'jwt: {providers: [{name: p, remoteJWKS: {uri: "https://idp.example.com/jwks"}}]}';
  const refusedFor = (text: string) =>
    imported(docs(BASE, GW, text))
      .problems.map((p) => p.message)
      .join('\n');

  it('a merge key setting a key the map also sets, or another merge sets: refused (kubectl lets the later win)', () => {
    const after = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: auth}
spec: {${REFS}}
<<: {spec: {${REFS}, ${JWT}}}`;
    const twice = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: auth}
<<: {spec: {${REFS}}}
<<: {spec: {${REFS}, ${JWT}}}`;
    for (const text of [after, twice]) expect(refusedFor(text)).toMatch(/"spec" is set both by a merge key \(<<\) and beside it/);
  });

  it('`!!merge "<<"` is a merge key, as go-yaml reads it', () => {
    expect(
      refusedFor(`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: auth}
spec:
  ${REFS}
  !!merge "<<": {${JWT}}`),
    ).toMatch(/JWT/);
  });

  it('targetSelectors with namespaces.from All (or Selector), from a policy in another namespace', () => {
    for (const from of ['All', 'Selector']) {
      expect(
        refusedFor(`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: auth, namespace: security}
spec:
  targetSelectors: [{kind: Gateway, matchLabels: {app: gw}, namespaces: {from: ${from}}}]
  ${JWT}`),
      ).toMatch(/JWT/);
    }
    // Without it, a policy in another namespace selects nothing here.
    expect(
      refusedFor(`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: auth, namespace: security}
spec:
  targetSelectors: [{kind: Gateway, matchLabels: {app: gw}}]
  ${JWT}`),
    ).toBe('');
  });
});
