/** The profile's provider fields (issue 14): backends.X.kind and what each kind reads — cross-checked, with their warnings. */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';

const profile = (backend: string, model = '{ backend: b }') => `version: 1
backends:
  b: ${backend}
models:
  m: { targets: [${model}] }
`;
const messages = (text: string) => {
  const r = parseProfile(text, 'p.yaml', {});
  return r.ok ? r.warnings.map((w) => `warning ${w.path}: ${w.message}`) : r.problems.map((p) => `error ${p.path}: ${p.message}`);
};

describe('backends.X.kind', () => {
  it.each([
    ['anthropic with a key', '{ url: "https://api.anthropic.com", kind: anthropic, apiKey: k }'],
    [
      'azure-openai with a deployment and api-version',
      '{ url: "https://x.openai.azure.com", kind: azure-openai, apiKey: k, deployment: gpt-4o, apiVersion: 2025-04-01-preview }',
    ],
    ['anthropic with its mock', '{ url: "http://127.0.0.1:1", kind: anthropic, apiKey: k, mock: { kind: anthropic } }'],
    ['azure-openai with its mock', '{ url: "http://127.0.0.1:1", kind: azure-openai, apiKey: k, mock: { kind: azure-openai } }'],
    ['openai with a TEI mock', '{ url: "http://127.0.0.1:1", mock: { kind: tei } }'],
  ])('is accepted: %s', (_name, backend) => {
    expect(messages(profile(backend))).toEqual([]);
  });

  it.each([
    [
      'a mock of another API',
      '{ url: "http://127.0.0.1:1", kind: anthropic, apiKey: k, mock: { kind: vllm } }',
      undefined,
      ['error backends.b.mock.kind: a backend of kind anthropic needs a mock that speaks its API (anthropic), not vllm'],
    ],
    [
      'an Anthropic mock behind an OpenAI backend',
      '{ url: "http://127.0.0.1:1", mock: { kind: anthropic } }',
      undefined,
      ['error backends.b.mock.kind: a backend of kind openai needs a mock that speaks its API (vllm or tei), not anthropic'],
    ],
    [
      'a deployment that could climb out of the path',
      '{ url: "https://x", kind: azure-openai, apiKey: k, deployment: "../admin" }',
      undefined,
      ['error backends.b.deployment: expected an Azure deployment name: letters, digits, . _ - (at most 64)'],
    ],
    [
      'an api-version that is not one',
      '{ url: "https://x", kind: azure-openai, apiKey: k, apiVersion: latest }',
      undefined,
      ['error backends.b.apiVersion: expected an Azure api-version such as 2024-10-21 or 2025-04-01-preview'],
    ],
    [
      'an anthropic-version that is not a date',
      '{ url: "https://x", kind: anthropic, apiKey: k, anthropicVersion: v1 }',
      undefined,
      ['error backends.b.anthropicVersion: expected an anthropic-version date such as 2023-06-01'],
    ],
    [
      'a target model that cannot name an Azure deployment',
      '{ url: "https://x", kind: azure-openai, apiKey: k }',
      '{ backend: b, model: "gpt 4o/x" }',
      [
        'error models.m.targets[0].model: backend b has no deployment, so this target\'s model "gpt 4o/x" names it, and it is not an Azure deployment name (letters, digits, . _ -)',
      ],
    ],
  ])('refuses %s', (_name, backend, model, expected) => {
    expect(messages(profile(backend, model))).toEqual(expected);
  });

  it.each([
    [
      'no credential for a hosted API',
      '{ url: "https://api.anthropic.com", kind: anthropic }',
      [
        'warning backends.b: a backend of kind anthropic needs a credential: set apiKey (sent as x-api-key); the API refuses requests without one',
      ],
    ],
    [
      'no credential for a mock that wants one',
      '{ url: "http://127.0.0.1:1", kind: azure-openai, mock: { kind: azure-openai } }',
      [
        'warning backends.b: a backend of kind azure-openai needs a credential: set apiKey (sent as api-key); its mock refuses requests without one, as the real API does',
      ],
    ],
    [
      'Azure settings on an Anthropic backend',
      '{ url: "https://x", kind: anthropic, apiKey: k, deployment: d }',
      ['warning backends.b.deployment: only a backend of kind azure-openai reads deployment; this one is anthropic'],
    ],
    [
      'an anthropic-version on an OpenAI backend',
      '{ url: "https://x", anthropicVersion: "2023-06-01" }',
      ['warning backends.b.anthropicVersion: only a backend of kind anthropic reads anthropicVersion; this one is openai'],
    ],
  ])('warns about %s', (_name, backend, expected) => {
    expect(messages(profile(backend))).toEqual(expected);
  });
});

describe('what a backend sends in headers (apiKey, headers)', () => {
  it.each([
    ['a key with a line break', '{ url: "http://127.0.0.1:1", apiKey: "sk-secret\\r\\nx-evil: 1" }', 'backends.b.apiKey'],
    ['a header value beyond Latin-1', '{ url: "http://127.0.0.1:1", headers: { x-team: "a–b" } }', 'backends.b.headers.x-team'],
    ['a header name with a space', '{ url: "http://127.0.0.1:1", headers: { "x team": "a" } }', 'backends.b.headers.x team'],
  ])('refuses %s at load, naming the field and never the value', (_name, backend, path) => {
    const found = messages(profile(backend));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      new RegExp(`^error ${path.replace(/[.]/g, '\\.')}: (a header value may hold|invalid name: expected a header name)`),
    );
    expect(found[0]).not.toContain('secret');
    expect(found[0]).not.toContain('a–b');
  });

  it.each([
    ['a header name with a space', '{ "x team": "a" }', 'observe.tracing.headers.x team'],
    ['a header value with a line break', '{ authorization: "Bearer secret\\nx-evil: 1" }', 'observe.tracing.headers.authorization'],
  ])("refuses the collector's %s at load too (an exporter that cannot send them dropped every span, unsaid)", (_name, headers, path) => {
    const found = messages(
      `${profile('{ url: "http://127.0.0.1:1" }')}observe: { tracing: { otlp: "http://127.0.0.1:4318", headers: ${headers} } }\n`,
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      new RegExp(`^error ${path.replace(/[.]/g, '\\.')}: (a header value may hold|invalid name: expected a header name)`),
    );
    expect(found[0]).not.toContain('secret');
  });

  it('accepts what undici sends: visible ASCII, tabs and Latin-1 values, token names', () => {
    expect(messages(profile('{ url: "http://127.0.0.1:1", apiKey: "sk-AZaz09_-.", headers: { x-team: "caf\u00e9\tok" } }'))).toEqual([]);
  });
});
