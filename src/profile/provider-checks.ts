/**
 * Cross-checks of the provider fields (`backends.X.kind` and what each kind reads): a mock must speak its
 * backend's API, Azure's path parameters and Anthropic's version must have their shapes (they go into every
 * upstream request), and settings another kind never reads are pointed out.
 */
import { ANTHROPIC_VERSION_RE } from '../anthropic/version.js';
import { AZURE_API_VERSION_RE, AZURE_DEPLOYMENT_RE } from '../openai/azure-names.js';
import type { Report } from './checks.js';
import { targetLists } from './routing-checks.js';
import type { BackendConfig, Profile } from './schema.js';
import { getOwn } from './own-keys.js';
import { isCredentialHeader } from './secrets.js';

/** The mock kinds that speak each backend kind's API. */
const MOCKS_OF: Readonly<Record<BackendConfig['kind'], readonly string[]>> = {
  openai: ['vllm', 'tei'],
  anthropic: ['anthropic'],
  'azure-openai': ['azure-openai'],
};

/** Fields only one kind reads. */
const ONLY_FOR: readonly [field: 'anthropicVersion' | 'deployment' | 'apiVersion', kind: BackendConfig['kind']][] = [
  ['anthropicVersion', 'anthropic'],
  ['deployment', 'azure-openai'],
  ['apiVersion', 'azure-openai'],
];

export function checkProviders(p: Profile, raw: unknown, report: Report): void {
  const rawBackends = (raw as { backends?: Record<string, Record<string, unknown> | null> } | null)?.backends ?? {};
  for (const [name, b] of Object.entries(p.backends)) {
    const path = ['backends', name];
    if (b.mock && !MOCKS_OF[b.kind].includes(b.mock.kind)) {
      const fits = MOCKS_OF[b.kind].join(' or ');
      report(
        'error',
        [...path, 'mock', 'kind'],
        `a backend of kind ${b.kind} needs a mock that speaks its API (${fits}), not ${b.mock.kind}`,
      );
    }
    if (b.deployment !== undefined && !AZURE_DEPLOYMENT_RE.test(b.deployment)) {
      report('error', [...path, 'deployment'], 'expected an Azure deployment name: letters, digits, . _ - (at most 64)');
    }
    if (b.apiVersion !== undefined && !AZURE_API_VERSION_RE.test(b.apiVersion)) {
      report('error', [...path, 'apiVersion'], 'expected an Azure api-version such as 2024-10-21 or 2025-04-01-preview');
    }
    if (!ANTHROPIC_VERSION_RE.test(b.anthropicVersion)) {
      report('error', [...path, 'anthropicVersion'], 'expected an anthropic-version date such as 2023-06-01');
    }
    for (const [field, kind] of ONLY_FOR) {
      if (b.kind !== kind && rawBackends[name]?.[field] !== undefined) {
        report('warning', [...path, field], `only a backend of kind ${kind} reads ${field}; this one is ${b.kind}`);
      }
    }
    // A key in a credential header (Authorization: Bearer to an Anthropic-compatible server, as `import envoy` writes an
    // APIKey policy's) is a credential too.
    if (b.kind !== 'openai' && !b.apiKey && !Object.keys(b.headers ?? {}).some(isCredentialHeader)) {
      const who = b.mock ? 'its mock refuses requests without one, as the real API does' : 'the API refuses requests without one';
      report(
        'warning',
        path,
        `a backend of kind ${b.kind} needs a credential: set apiKey (sent as ${credentialHeader(b.kind)}); ${who}`,
        true,
      );
    }
  }
  // Without a deployment, an Azure backend's path names the target's upstream model.
  for (const [name, m] of Object.entries(p.models)) {
    for (const [path, targets] of targetLists(name, m)) {
      targets.forEach((t, i) => {
        const b = getOwn(p.backends, t.backend);
        const deployment = t.model ?? name;
        if (b?.kind === 'azure-openai' && b.deployment === undefined && !AZURE_DEPLOYMENT_RE.test(deployment)) {
          report(
            'error',
            [...path, i, t.model === undefined ? 'backend' : 'model'],
            `backend ${t.backend} has no deployment, so this target's model ${JSON.stringify(deployment.slice(0, 64))} names it, ` +
              'and it is not an Azure deployment name (letters, digits, . _ -)',
          );
        }
      });
    }
  }
}

function credentialHeader(kind: BackendConfig['kind']): string {
  return kind === 'anthropic' ? 'x-api-key' : 'api-key';
}
