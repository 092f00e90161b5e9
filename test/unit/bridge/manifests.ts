/** Small manifests for the importer's edge cases: a base to extend (route m1 → AIServiceBackend b1 → Backend), and helpers. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importEnvoy, type ImportResult } from '../../../src/bridge/envoy/import.js';
import { formatProblem } from '../../../src/profile/problems.js';

/** The route `r` alone: model `m1` → AIServiceBackend `b1`. */
export const ROUTE = `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]
      backendRefs: [{name: b1}]`;

/** One route `m1` → AIServiceBackend `b1` → Backend `b1.example.com:443`. */
export const BASE = `${ROUTE}
---
${backend('b1')}`;

/** An AIServiceBackend `name` of schema OpenAI, referring to the Backend of that name (which it does not hold). */
export function serviceBackend(name: string): string {
  return `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: ${name}}
spec:
  schema: {name: OpenAI}
  backendRef: {name: ${name}, kind: Backend, group: gateway.envoyproxy.io}`;
}

/** An AIServiceBackend and its Backend, both named `name` (host `NAME.example.com:443`). */
export function backend(name: string): string {
  return `${serviceBackend(name)}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: ${name}}
spec:
  endpoints: [{fqdn: {hostname: ${name}.example.com, port: 443}}]
`;
}

/** Documents joined into one stream. */
export const docs = (...texts: string[]): string => texts.map((t) => t.trimEnd()).join('\n---\n');

/** The import of one file, with its warnings and problems as printed. */
export function imported(text: string, file = 'x.yaml'): ImportResult & { said: string } {
  const r = importEnvoy([{ file, text }]);
  return { ...r, said: [...r.problems, ...r.warnings].map(formatProblem).join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'aigw-bridge-manifests-'));
/** Writes a file for the loaders (which read paths); returns its path. */
export function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Nested aliases: level 0 holds ten strings, each next level ten aliases of the one before (10^(levels) strings). */
export function aliasBomb(levels: number): string {
  const lines = ['  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < levels; i++)
    lines.push(
      `  a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${lines.join('\n')}\n`;
}

/** A SecurityPolicy on route `r` whose Secret `keys` holds one key per client id (each an envsubst `${VAR}`). */
export function apiKeys(clients: Record<string, string>): string {
  const data = Object.entries(clients)
    .map(([id, v]) => `${JSON.stringify(id)}: ${JSON.stringify(v)}`)
    .join(', ');
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: sp}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  apiKeyAuth:
    credentialRefs: [{group: "", kind: Secret, name: keys}]
    extractFrom: [{headers: [authorization]}]
    forwardClientIDHeader: x-aigw-tenant
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {${data}}
`;
}

/** A rate-limit rule of a tenant (optionally on one model): `requests` per `unit`, counted in requests. */
export const rule = (tenant: string, requests: number, unit: string, model?: string): string =>
  `        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Exact, value: ${tenant}}` +
  `${model ? `, {name: x-ai-eg-model, type: Exact, value: ${model}}` : ''}]}]\n` +
  `          limit: {requests: ${requests}, unit: ${unit}}`;

/** A BackendTrafficPolicy on route `r` with these rate-limit rules (see `rule`). */
export const rateLimits = (...rules: string[]): string => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: t}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  rateLimit:
    type: Global
    global:
      rules:
${rules.join('\n')}
`;
