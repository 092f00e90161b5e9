/**
 * An Anthropic backend behind a base path, exported. aigw calls `{url}/v1/messages`; Envoy AI Gateway calls
 * `{schema.prefix}/messages` (the CRD: "When the name is set to "Anthropic", the "messages" API endpoint will be
 * "${this_field}/messages""; the prefix defaults to v1). The export wrote the base path alone as the prefix, so the
 * cluster called `/anthropic/messages` where aigw calls `/anthropic/v1/messages` — a 404 for every request — and
 * importing the export back warned that the prefix does not end in /v1. Now the prefix ends in /v1, as OpenAI's does.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { importEnvoy } from '../../../src/bridge/envoy/import.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { exportProfile } from './profiles.js';

const PROFILE = `version: 1
backends:
  claude: { url: https://llm.example.com/anthropic, kind: anthropic }
  gpt: { url: https://llm.example.com/openai }
models:
  c: { targets: [{ backend: claude }] }
  g: { targets: [{ backend: gpt }] }
`;

type Obj = { kind: string; metadata: { name: string }; spec: { schema?: { name: string; prefix?: string } } };

describe('an Anthropic backend at a base path', () => {
  const r = exportProfile(PROFILE);
  const text = renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
  const schemas = Object.fromEntries(
    parseAllDocuments(text)
      .map((d) => d.toJS() as Obj)
      .filter((o) => o.kind === 'AIServiceBackend')
      .map((o) => [o.metadata.name, o.spec.schema]),
  );

  it('exports a prefix ending in /v1: the cluster calls /anthropic/v1/messages, as aigw does', () => {
    expect(schemas.claude).toEqual({ name: 'Anthropic', prefix: '/anthropic/v1' });
    expect(schemas.gpt).toEqual({ name: 'OpenAI', prefix: '/openai/v1' });
  });

  it('imports back to the same URL, with nothing said of the prefix', () => {
    const back = importEnvoy([{ file: 'export.yaml', text }]);
    expect(back.problems).toEqual([]);
    const backends = back.profile.backends as Record<string, { url: string }>;
    expect(backends.claude!.url).toBe('https://llm.example.com:443/anthropic');
    expect(back.warnings.map((w) => w.message).join('\n')).not.toMatch(/prefix/);
  });
});
