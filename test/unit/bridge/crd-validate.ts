/**
 * Validates Kubernetes objects against the CRDs in ../shared/spec/envoy-ai-gateway/crds, strictly, the way
 * `kubectl apply --validate=strict` does: the `openAPIV3Schema` of the served version whose group and kind
 * match the object's apiVersion and kind, where an object schema with `properties` and neither
 * `additionalProperties` nor `x-kubernetes-preserve-unknown-fields: true` admits no other key.
 * `x-kubernetes-*` keywords are handled explicitly: int-or-string becomes integer|string, preserve-unknown
 * leaves an object open, the rest (CEL validations, list/map types) are dropped — CEL is the API server's job.
 * ajv is a dev dependency, so this lives with the tests, not in src/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

export const CRD_DIR = fileURLToPath(new URL('../../../../shared/spec/envoy-ai-gateway/crds', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../../shared/spec/envoy-ai-gateway/examples', import.meta.url));
export const crdsAvailable = existsSync(CRD_DIR);

type Schema = Record<string, unknown>;

/** Kubernetes' own rules for names, which the CRDs leave to the API server. */
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const METADATA: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN },
    namespace: { type: 'string', maxLength: 63, pattern: DNS_LABEL },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/** Core kinds have no CRD; the one aigw writes gets a schema of its own (core/v1 Secret, strict). */
const CORE: Record<string, Schema> = {
  'v1:Secret': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata'],
    additionalProperties: false,
    properties: {
      apiVersion: { const: 'v1' },
      kind: { const: 'Secret' },
      metadata: METADATA,
      type: { type: 'string' },
      immutable: { type: 'boolean' },
      data: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } },
      stringData: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
};

/** A CRD's structural schema → a strict JSON Schema ajv reads as Kubernetes means it. */
export function strictify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictify);
  if (!node || typeof node !== 'object') return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-kubernetes-') || k === 'description') continue;
    if (k === 'properties' || k === 'patternProperties') {
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strictify(s)]));
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not') {
      out[k] = typeof v === 'object' ? strictify(v) : v;
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = (v as unknown[]).map(strictify);
    } else {
      out[k] = v;
    }
  }
  if (src['x-kubernetes-int-or-string'] === true && !src.anyOf) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    delete out.type;
  }
  if (src.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
  }
  const open = src['x-kubernetes-preserve-unknown-fields'] === true;
  if (src.type === 'object' && src.properties && src.additionalProperties === undefined && !open) out.additionalProperties = false;
  return out;
}

interface Entry {
  schema: Schema;
  compiled?: ValidateFunction;
}

let registry: Map<string, Entry> | undefined;
let ajv: Ajv | undefined;

function load(): Map<string, Entry> {
  if (registry) return registry;
  registry = new Map(Object.entries(CORE).map(([k, schema]) => [k, { schema }]));
  for (const f of readdirSync(CRD_DIR).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(CRD_DIR, f), 'utf8'))) {
      const crd = doc.toJS() as {
        kind?: string;
        spec?: {
          group: string;
          names: { kind: string };
          versions: { name: string; served: boolean; schema?: { openAPIV3Schema: Schema } }[];
        };
      } | null;
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      for (const v of crd.spec.versions) {
        if (!v.served || !v.schema) continue;
        const schema = strictify(v.schema.openAPIV3Schema) as Schema;
        (schema.properties as Schema).metadata = METADATA;
        schema.required = [...new Set([...((schema.required as string[]) ?? []), 'apiVersion', 'kind', 'metadata'])];
        registry.set(`${crd.spec.group}/${v.name}:${crd.spec.names.kind}`, { schema });
      }
    }
  }
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  // Formats the CRDs use, checked where it matters and named (not silently ignored) where it does not.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  for (const f of ['date-time', 'byte', 'duration', 'hostname', 'uri', 'ipv4', 'ipv6', 'float', 'double', 'int-or-string'])
    ajv.addFormat(f, true);
  return registry;
}

export type Verdict = { ok: true } | { ok: false; errors: string[] } | { ok: 'unknown' };

/** Whether the installed CRDs (or core/v1 Secret) define this apiVersion and kind. */
export function knows(apiVersion: string, kind: string): boolean {
  return load().has(`${apiVersion}:${kind}`);
}

export function validateObject(obj: unknown): Verdict {
  const o = obj as { apiVersion?: unknown; kind?: unknown };
  const entry = load().get(`${String(o?.apiVersion)}:${String(o?.kind)}`);
  if (!entry) return { ok: 'unknown' };
  entry.compiled ??= ajv!.compile(entry.schema);
  if (entry.compiled(obj)) return { ok: true };
  return {
    ok: false,
    errors: (entry.compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`),
  };
}

/** The keys a CRD's `spec` defines in one served version (to check what the importer believes about them). */
export function specKeys(apiVersion: string, kind: string): string[] {
  const schema = load().get(`${apiVersion}:${kind}`)?.schema as { properties?: { spec?: { properties?: object } } } | undefined;
  return Object.keys(schema?.properties?.spec?.properties ?? {}).sort();
}
