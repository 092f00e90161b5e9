/** Names both ways: profile names → Kubernetes object names (DNS-1123), Secret keys → environment variable names. */
import { FreeNames } from './free-names.js';

/** A DNS-1123 label: lowercase letters, digits and `-`, at most 63 characters, alphanumeric at both ends. */
export function dnsLabel(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return s || 'x';
}

/**
 * Gives each profile name its own object name: `vllm_a` and `vllm.a` both sanitize to `vllm-a`, so the
 * second becomes `vllm-a-2`. Deterministic for a given order of names.
 */
export function uniqueLabels(names: readonly string[], reserved: Iterable<string> = []): Map<string, string> {
  const labels = new FreeNames((base, i) => `${base.slice(0, 60 - String(i).length)}-${i}`, reserved);
  const out = new Map<string, string>();
  for (const name of names) out.set(name, labels.give(dnsLabel(name)));
  return out;
}

/** `envoy-ai-gateway-basic-openai-apikey` + `apiKey` → `ENVOY_AI_GATEWAY_BASIC_OPENAI_APIKEY`. */
export function envVarFor(...parts: string[]): string {
  const name = parts
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Z_]/.test(name) ? name : `V_${name}`;
}

/** A value that is one whole `${VAR}` (or `${VAR:-default}`) reference: the variable's name. */
export function wholeEnvRef(value: string): string | undefined {
  return /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/.exec(value.trim())?.[1];
}
