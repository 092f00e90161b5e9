/** Turns a profile's `mock:` blocks (and ad-hoc `--vllm NAME=PORT` flags) into mock settings. */
import { MAX_PORT } from '../core/listen.js';
import { processConnectionCap } from '../gateway/connection-cap.js';
import { deepFreeze } from '../core/freeze.js';
import { carrySecrets } from '../profile/secrets.js';
import type { Profile } from '../profile/schema.js';
import { MockSchema } from '../profile/schema.js';
import type { MockSettings } from '../mock/context.js';
import { CliError, exitCodes } from './run.js';

export interface PlannedMock {
  settings: MockSettings;
  host: string;
  port: number;
}

/** Every backend with a `mock:` block. Its models default to the upstream names the profile sends it. */
export function mocksOfProfile(profile: Profile): PlannedMock[] {
  const out: PlannedMock[] = [];
  for (const [name, backend] of Object.entries(profile.backends)) {
    if (!backend.mock) continue;
    const url = new URL(backend.url);
    const sent = new Set<string>();
    for (const [public_, m] of Object.entries(profile.models)) {
      for (const t of [...m.targets, ...(m.match ?? []).flatMap((r) => r.targets)]) {
        if (t.backend === name) sent.add(t.model ?? public_);
      }
    }
    const { models, ...rest } = backend.mock;
    // An Azure mock serves deployments: the backend's, when it names one.
    const deployments = backend.kind === 'azure-openai' && backend.deployment ? [backend.deployment] : undefined;
    out.push({
      settings: {
        name,
        ...rest,
        ...connectionCap(rest.maxConnections),
        models: models ?? deployments ?? (sent.size ? [...sent] : undefined),
        apiKey: backend.apiKey,
      },
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    });
  }
  return out;
}

/**
 * A mock's connection cap: the profile's `mock.maxConnections`, else half the descriptors the process may open, as the
 * gateway's listener (gateway/connection-cap.ts) — a mock held every connection a load opened until none was left.
 */
function connectionCap(given: number | undefined): { maxConnections?: number } {
  const cap = given ?? processConnectionCap();
  return cap === undefined ? {} : { maxConnections: cap };
}

/** `NAME=PORT` flags: mocks with default settings that accept any model name. */
export function adHocMocks(kind: 'vllm' | 'tei', specs: readonly string[] = [], host: string): PlannedMock[] {
  return specs.map((spec) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(\d{1,5})$/.exec(spec);
    // A port past 65535 reached listen's RangeError, an exit 1 once the mocks before it had started.
    if (!m || Number(m[2]) > MAX_PORT)
      throw new CliError(`--${kind} expects NAME=PORT (port 0 picks a free one, at most ${MAX_PORT}), got "${spec}"`, exitCodes.usage);
    const defaults = MockSchema.parse({ kind });
    return { settings: { name: m[1]!, ...defaults, ...connectionCap(undefined), models: undefined }, host, port: Number(m[2]) };
  });
}

/** The profile with the given backends' URLs replaced (mocks started on port 0 report their real port). */
export function withBackendUrls(profile: Profile, urls: ReadonlyMap<string, string>): Profile {
  const copy = structuredClone(profile) as { -readonly [K in keyof Profile]: Profile[K] };
  for (const [name, url] of urls) {
    const b = copy.backends[name];
    if (b) copy.backends[name] = { ...b, url };
  }
  const frozen = deepFreeze(copy);
  carrySecrets(profile, frozen);
  return frozen;
}
