/**
 * `--mock-all`: every backend of a profile becomes a mock of its kind on 127.0.0.1, port 0 — vLLM for
 * the OpenAI API (a backend that already has a mock keeps its settings, so a TEI mock stays TEI), Anthropic
 * and Azure OpenAI mocks for theirs — and loses its credential, in `apiKey` or in a header. The Anthropic and
 * Azure mocks, like the real APIs, refuse a request without a key, so their backends get a stand-in key (the
 * one their mock then requires). A pure transform of the profile as written (before `${VAR}` interpolation), so the credentials'
 * variables need not be set.
 */

import { isCredentialHeader } from '../profile/secrets.js';

type Raw = Record<string, unknown>;

const MOCK_KIND: Record<string, string> = { openai: 'vllm', anthropic: 'anthropic', 'azure-openai': 'azure-openai' };

export const MOCK_ALL_URL = 'http://127.0.0.1:0';

/** The key a mocked Anthropic or Azure OpenAI backend is given (and its mock requires). */
export const MOCK_ALL_KEY = 'aigw-mock-key';

const isObj = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

export function mockAll(profile: unknown): unknown {
  if (!isObj(profile) || !isObj(profile.backends)) return profile;
  const backends: Raw = {};
  for (const [name, b] of Object.entries(profile.backends)) {
    if (!isObj(b)) {
      backends[name] = b;
      continue;
    }
    const { apiKey: _credential, ...rest } = b;
    const kind = typeof b.kind === 'string' ? b.kind : 'openai';
    const mock = isObj(b.mock) ? b.mock : {};
    const standIn = kind === 'anthropic' || kind === 'azure-openai' ? { apiKey: MOCK_ALL_KEY } : {};
    // A credential held in a header goes with the apiKey: its variable need not be set, and no real key reaches a mock
    // (kept, `authorization: Bearer ${KEY}` failed the load with KEY unset). The stand-in key is the only one sent.
    if (isObj(rest.headers)) rest.headers = Object.fromEntries(Object.entries(rest.headers).filter(([h]) => !isCredentialHeader(h)));
    backends[name] = { ...rest, ...standIn, url: MOCK_ALL_URL, mock: { ...mock, kind: mock.kind ?? MOCK_KIND[kind] ?? 'vllm' } };
  }
  return { ...profile, backends };
}
