/** What every part of the export shares: options, object names, the profile as written, and the warnings. */
import { referable } from '../../core/env-refs.js';
import type { Profile } from '../../profile/schema.js';
import { uniqueLabels, wholeEnvRef } from './names.js';

/** `${VAR}` or `${VAR:-default}`, as the profile interpolates them. */
export const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;

export interface ExportOptions {
  namespace: string;
  /** The Gateway's name; the GatewayClass, the (first) AIGatewayRoute and so its HTTPRoute are named after it (more: NAME-2, …). */
  gateway: string;
  /** Real key values in the Secret manifests instead of `${VAR}` placeholders. */
  includeSecrets: boolean;
}

/** One Kubernetes object, with comments that explain choices (placed before the key at a dotted path). */
export interface K8sObject {
  value: Record<string, unknown>;
  /** Dotted path inside `value` (`spec.connection.bufferLimit`) → comment lines. */
  comments?: Record<string, string>;
  /** Comment lines above the whole document. */
  header?: string;
}

export class ExportContext {
  readonly warnings: string[] = [];
  readonly backendLabel: Map<string, string>;
  /** The variables of the `${VAR}` placeholders written, in order: the only ones envsubst may fill in. */
  readonly placeholders = new Set<string>();

  constructor(
    readonly profile: Profile,
    /** The profile's values before `${VAR}` interpolation: Secrets are written with the variable, not the value. */
    readonly raw: unknown,
    readonly opts: ExportOptions,
  ) {
    this.backendLabel = uniqueLabels(Object.keys(profile.backends), [opts.gateway]);
  }

  /** A profile feature Envoy AI Gateway cannot express, and what the cluster does instead. */
  warn(path: string, message: string): void {
    this.warnings.push(`${path}: ${message}`);
  }

  /** The value at a key path of the profile as written (before interpolation), or undefined. */
  rawAt(...path: (string | number)[]): unknown {
    let v: unknown = this.raw;
    for (const k of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string | number, unknown>)[k];
    }
    return v;
  }

  /** Whether the profile sets this key itself (rather than leaving the default). */
  written(...path: (string | number)[]): boolean {
    return this.rawAt(...path) !== undefined;
  }

  /**
   * What goes into a Secret for a credential: its real value with --include-secrets, else `${VAR}` — the
   * variable the profile reads it from, or `fallbackVar` for a literal — so `envsubst` can fill it in.
   */
  secretValue(real: string, rawPath: (string | number)[], fallbackVar: string): string {
    if (this.opts.includeSecrets) return real;
    const raw = this.rawAt(...rawPath);
    const ref = typeof raw === 'string' ? wholeEnvRef(raw) : undefined;
    // `${KEY:-default}` is written `${KEY}`: unset, envsubst would leave the credential empty.
    if (ref && (raw as string).includes(':-')) this.warnDroppedDefaults(rawPath.join('.'), raw as string);
    return this.placeholder(ref ?? fallbackVar);
  }

  /** `${name}`, remembered as a variable the apply step fills in. */
  placeholder(name: string): string {
    this.placeholders.add(name);
    return `\${${name}}`;
  }

  /** The defaults of `${VAR:-default}` a placeholder drops (named by variable, never by value: a default may be a key). */
  warnDroppedDefaults(where: string, raw: string): void {
    const names = [...referable(raw).matchAll(ENV_REF)].filter((m) => m[0].includes(':-')).map((m) => m[1]!);
    this.warn(
      where,
      `the default of ${names.map((n) => `\${${n}:-…}`).join(', ')} is not carried: envsubst fills in no defaults, ` +
        `so set ${names.join(', ')} before applying`,
    );
  }

  metadata(name: string): { name: string; namespace: string } {
    return { name, namespace: this.opts.namespace };
  }
}
