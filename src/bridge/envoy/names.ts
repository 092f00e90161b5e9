/** Names both ways: profile names → Kubernetes object names (DNS-1123), Secret keys → environment variable names. */

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
  const taken = new Set(reserved);
  const out = new Map<string, string>();
  // Per base, the suffix to try next: those before it are taken, and taken stays taken. Counted from 2 for each name,
  // 10,000 names of one base took ~4 s (quadratic).
  const next = new Map<string, number>();
  for (const name of names) {
    const base = dnsLabel(name);
    let i = next.get(base) ?? 1;
    let label = i === 1 ? base : `${base.slice(0, 60 - String(i).length)}-${i}`;
    while (taken.has(label)) label = `${base.slice(0, 60 - String(++i).length)}-${i}`;
    next.set(base, i + 1);
    taken.add(label);
    out.set(name, label);
  }
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
