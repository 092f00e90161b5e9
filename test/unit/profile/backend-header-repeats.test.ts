/**
 * A backend's headers, each sent once. The profile took `X-Team` and `x-team` (one header in HTTP) and a header that
 * `apiKey` fills for the backend's kind (`authorization` for OpenAI, `x-api-key` for Anthropic, `api-key` for Azure):
 * both went upstream — `x-team: a` and `x-team: b`, `authorization: Bearer other` beside `authorization: Bearer sk-real`.
 * A Node backend keeps the first Authorization and drops the other (the profile's apiKey never used, unsaid), others
 * answer 400; nothing said at validate. Now a name set twice, and a header apiKey fills, are profile errors; under
 * --mock-all the stand-in key replaces the header it would repeat.
 */
import { describe, expect, it } from 'vitest';
import { mockAll } from '../../../src/bridge/mock-all.js';
import { renderDocument } from '../../../src/bridge/envoy/render-yaml.js';
import { parseProfile } from '../../../src/profile/load.js';
import { parse } from 'yaml';

const profile = (backend: string) => `version: 1
backends:
  b: ${backend}
models:
  m: { targets: [{ backend: b }] }
`;

const problems = (text: string) => {
  const r = parseProfile(text, 'p.yaml', {});
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe("a backend's header set twice", () => {
  it.each([
    [
      'one name in two cases',
      '{ url: "http://10.0.0.1:8000", headers: { X-Team: a, x-team: b } }',
      /backends\.b\.headers\.x-team: .*X-Team/,
    ],
    [
      'authorization beside an OpenAI apiKey',
      '{ url: "http://10.0.0.1:8000", apiKey: sk-real, headers: { Authorization: Bearer other } }',
      /backends\.b\.headers\.Authorization: .*apiKey/,
    ],
    [
      'x-api-key beside an Anthropic apiKey',
      '{ url: "https://a.example.com", kind: anthropic, apiKey: sk-real, headers: { x-api-key: other } }',
      /backends\.b\.headers\.x-api-key: .*apiKey/,
    ],
    [
      'api-key beside an Azure apiKey',
      '{ url: "https://a.example.com", kind: azure-openai, apiKey: k, headers: { API-Key: other } }',
      /backends\.b\.headers\.API-Key: .*apiKey/,
    ],
  ])('%s: refused, at the header', (_name, backend, expected) => {
    expect(problems(profile(backend)).join('\n')).toMatch(expected);
  });

  it.each([
    ['distinct names', '{ url: "http://10.0.0.1:8000", headers: { x-team: a, x-tier: b } }'],
    ['a credential header apiKey does not fill for this kind', '{ url: "http://10.0.0.1:8000", apiKey: k, headers: { x-api-key: other } }'],
    ['a credential header without apiKey', '{ url: "https://a.example.com", kind: anthropic, headers: { x-api-key: k } }'],
  ])('%s: loads', (_name, backend) => {
    expect(problems(profile(backend))).toEqual([]);
  });

  it('--mock-all: the stand-in key replaces the credential header it would repeat', () => {
    const raw = parse(profile('{ url: "https://a.example.com", kind: anthropic, headers: { X-Api-Key: k, x-team: a } }'));
    const r = parseProfile(renderDocument(mockAll(raw)), 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([]);
    if (r.ok) expect(r.profile.backends.b!.headers).toEqual({ 'x-team': 'a' });
  });
});

describe("a match rule's header named twice", () => {
  const model = (when: string) => `version: 1
backends:
  b: { url: "http://10.0.0.1:8000" }
  gold: { url: "http://10.0.0.2:8000" }
models:
  m:
    targets: [{ backend: b }]
    match:
      - when: ${when}
        targets: [{ backend: gold }]
`;

  it('X-Tier and x-tier: refused at the second (it asked for both values of one header: a rule no request met, unsaid)', () => {
    expect(problems(model('{ headers: { X-Tier: gold, x-tier: silver } }')).join('\n')).toMatch(
      /models\.m\.match\[0\]\.when\.headers\.x-tier: "x-tier" is "X-Tier" too/,
    );
  });

  it('two names: loads', () => {
    expect(problems(model('{ headers: { x-tier: gold, x-region: eu } }'))).toEqual([]);
  });
});
