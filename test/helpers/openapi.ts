/**
 * Validates JSON against OpenAI's own OpenAPI schemas, read from ../shared/spec (never copied here).
 * When the spec is absent (a user's fresh clone), `spec` is undefined and the tests using it skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const SPEC_PATH = fileURLToPath(new URL('../../../shared/spec/openai-openapi.yaml', import.meta.url));

export const specAvailable = existsSync(SPEC_PATH);

/** OpenAPI 3.0's `nullable: true` becomes a JSON-Schema type union, so Ajv reads it as the spec means. */
function denullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = denullable(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.enum) out.enum = [...(out.enum as unknown[]), null];
    else if (out.$ref || out.allOf || out.anyOf) return { anyOf: [out, { type: 'null' }] };
  }
  if (Array.isArray(out.enum) && Array.isArray(out.type) && out.type.includes('null') && !out.enum.includes(null)) {
    out.enum = [...out.enum, null];
  }
  return out;
}

let ajv: Ajv2020 | undefined;

function load(): Ajv2020 {
  if (ajv) return ajv;
  const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as { components: unknown };
  ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'openai', components: denullable(spec.components) });
  return ajv;
}

/** The schema's errors for `value` (empty when it conforms). */
export function schemaErrors(schemaName: string, value: unknown): string[] {
  const validate = load().getSchema(`openai#/components/schemas/${schemaName}`);
  if (!validate) throw new Error(`no schema ${schemaName} in the OpenAI spec`);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}
