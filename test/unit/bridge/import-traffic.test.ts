/**
 * The policies around the routes on import: the Gateways' buffers, retries and timeouts. What cannot be carried
 * exactly is a warning at the manifest key, never a crash or a silent change.
 */
import { describe, expect, it } from 'vitest';
import { BASE, backend, docs, imported } from './manifests.js';

const gateway = (name: string) =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: ${name}}\n` +
  'spec: {gatewayClassName: c, listeners: [{name: http, protocol: HTTP, port: 80}]}\n';
const bufferOn = (gw: string, limit: string) =>
  `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: ctp-${gw}}\n` +
  `spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ${gw}}]\n  connection: {bufferLimit: ${limit}}\n`;

describe('Gateway buffers', () => {
  it('two Gateways with different buffers and no AIGatewayRoute: the smallest, said at a Gateway', () => {
    const r = imported(docs(backend('b1'), gateway('g1'), gateway('g2'), bufferOn('g1', '1Mi')));
    expect(r.problems).toEqual([]);
    expect(r.profile.limits).toMatchObject({ responseBuffer: { maxBytes: '32Ki' } });
    expect(r.said).toMatch(
      /x.yaml:\d+:\d+: warning: Gateway\/default\/g2: Gateways with different buffer limits: the profile uses the smallest/,
    );
  });
});

describe('Gateway connection limits', () => {
  const limitOn = (gw: string, limit: string) =>
    `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: ctp-${gw}}\n` +
    `spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ${gw}}]\n  connection: {connectionLimit: ${limit}}\n`;

  it("a connectionLimit is limits.maxConnections, the smallest of the Gateways'; its closeDelay has no setting, said", () => {
    const r = imported(
      docs(backend('b1'), gateway('g1'), gateway('g2'), limitOn('g1', '{value: 5000}'), limitOn('g2', '{value: 800, closeDelay: 1s}')),
    );
    expect(r.problems).toEqual([]);
    expect(r.profile.limits).toMatchObject({ maxConnections: 800 });
    expect(r.said).toMatch(/ctp-g2.*spec.connection.connectionLimit.closeDelay: not imported/);
  });

  it('a value that is no connection count is ignored, said; none leaves the default', () => {
    for (const bad of ['{value: 0}', '{value: "100"}', '{value: 1.5}', '{value: 1e300}']) {
      const r = imported(docs(backend('b1'), gateway('g1'), limitOn('g1', bad)));
      expect(r.problems, bad).toEqual([]);
      expect((r.profile.limits as { maxConnections?: unknown } | undefined)?.maxConnections, bad).toBeUndefined();
      expect(r.said, bad).toMatch(/spec.connection.connectionLimit.value: .* is not a connection count/);
    }
  });
});

const policy = (spec: string) =>
  `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: t}\nspec:\n` +
  `  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n${spec}`;

describe('values that do not carry over exactly are warnings', () => {
  it("numRetries 25: 10 attempts, aigw's most, said", () => {
    const r = imported(docs(BASE, policy('  retry: {numRetries: 25}\n')));
    expect(r.profile.resilience).toMatchObject({ attempts: 10 });
    expect(r.said).toMatch(/spec.retry.numRetries: 25 retries are 26 attempts; aigw makes at most 10, so the profile says 10/);
  });

  it('a requestBuffer.limit that is not a quantity is ignored, said', () => {
    const r = imported(docs(BASE, policy('  requestBuffer: {limit: "1.5Mi"}\n')));
    expect(r.profile.limits).toMatchObject({ maxRequestBytes: '32Ki' });
    expect(r.said).toMatch(/spec.requestBuffer.limit: "1.5Mi" is not a quantity Envoy Gateway accepts .*: ignored/);
  });

  it.each([
    ['  timeout: {http: {requestTimeout: "1.5s"}}\n', 'spec.timeout.http.requestTimeout: "1.5s"'],
    ['  timeout: {tcp: {connectTimeout: 5}}\n', 'spec.timeout.tcp.connectTimeout: 5'],
  ])('%s: ignored, said', (spec, said) => {
    const r = imported(docs(BASE, policy(spec)));
    expect(r.said).toContain(`${said} is not a Gateway API duration`);
  });

  it('a rule timeout that is not a duration, said', () => {
    const r = imported(BASE.replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b1}]\n      timeouts: {request: 90}'));
    expect(r.said).toMatch(/spec.rules\[0\].timeouts.request: 90 is not a Gateway API duration/);
  });
});
