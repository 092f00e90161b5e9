/**
 * A match naming its models twice (two `x-ai-eg-model` RegularExpression headers, each an alternation of names: Envoy
 * requires both) is imported as the names both allow, in time linear in them: each name of one was looked for by a
 * scan of the other's, so two alternations of 40,000 names (a 500 KB manifest) took the import seconds — quadratic,
 * at `aigw import envoy` and at each start and reload of `serve -c MANIFESTS`.
 */
import { describe, expect, it } from 'vitest';
import { backend, docs, imported, ROUTE } from './manifests.js';

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join('|');

describe('two model alternations in one match', () => {
  it('are intersected at once', () => {
    const n = 40_000;
    const route = ROUTE.replace(
      'matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]',
      `matches: [{headers: [{type: RegularExpression, name: x-ai-eg-model, value: "^(${names('m', n)})$"}, ` +
        `{type: RegularExpression, name: x-ai-eg-model, value: "^(${names('x', n)}|m7)$"}]}]`,
    );
    const started = performance.now();
    const r = imported(docs(route, backend('b1')));
    const ms = performance.now() - started;
    expect(r.problems).toEqual([]);
    expect(Object.keys((r.profile as { models: object }).models)).toEqual(['m7']);
    expect(ms).toBeLessThan(1500);
  });
});
