/**
 * An AIServiceBackend with a schema prefix (`/openai/v1`) whose Backend is not among the files — Backends are often
 * applied apart, by whoever runs the service: the URL is read from a variable, but the prefix's path was dropped, so aigw
 * called `${URL}/v1/chat/completions` where the cluster calls `{Backend}/openai/v1/chat/completions` (a 404 from a
 * server behind a path, or another service). The variable stands for the Backend's address now, the path after it.
 */
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { ROUTE, docs, imported, serviceBackend, write } from './manifests.js';

const text = docs(ROUTE, serviceBackend('b1').replace('{name: OpenAI}', '{name: OpenAI, prefix: /openai/v1}'));

describe('a prefix on a backend whose Backend is not among the files', () => {
  it('the URL is the variable (the Backend’s address) and the prefix’s path', async () => {
    const r = imported(text);
    expect((r.profile.backends as Record<string, { url: string }>).b1!.url).toBe('${BACKEND_B1_URL}/openai');
    expect(r.said).toMatch(/the Backend's address .* is read from \$\{BACKEND_B1_URL\}, followed by \/openai/);
    const loaded = await loadProfileOrManifests(write('prefix-var.yaml', text), { BACKEND_B1_URL: 'http://10.0.0.9:8000' });
    expect(loaded.ok && loaded.profile.backends.b1!.url).toBe('http://10.0.0.9:8000/openai');
  });

  it('without a prefix: the variable alone, as before', () => {
    const r = imported(docs(ROUTE, serviceBackend('b1')));
    expect((r.profile.backends as Record<string, { url: string }>).b1!.url).toBe('${BACKEND_B1_URL}');
  });
});
