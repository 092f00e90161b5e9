/**
 * The YAML 1.1 schema the manifests are read with (kubectl's: sigs.k8s.io/yaml over go-yaml v2) has collection and
 * binary tags of its own: the yaml library reads `!!pairs`/`!!omap` sequences as Pair lists, which the walk of a
 * document took for nulls (every backendRef gone), and `!!binary` as bytes (a Buffer where text belongs). go-yaml v2
 * keeps such a sequence a list of its maps, and hands `!!binary` to an untyped value as the decoded text.
 */
import { describe, expect, it } from 'vitest';
import { backend, docs, imported } from './manifests.js';

type Models = Record<string, { targets: { backend: string; model?: string; weight?: number }[] }>;

const route = (refs: string) => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]
      backendRefs: ${refs}`;

describe('manifest collections and binary scalars read as kubectl reads them', () => {
  it('a !!pairs list of backendRefs is the list of its maps', () => {
    const r = imported(docs(route('!!pairs [{name: b1}, {name: b2}]'), backend('b1'), backend('b2')));
    expect(r.problems).toEqual([]);
    expect((r.profile.models as Models).m1!.targets.map((t) => t.backend)).toEqual(['b1', 'b2']);
  });

  it('a !!binary value is its decoded text', () => {
    const r = imported(docs(route('[{name: b1, modelNameOverride: !!binary Z3B0LTRv}]'), backend('b1')));
    expect(r.problems).toEqual([]);
    expect((r.profile.models as Models).m1!.targets[0]!.model).toBe('gpt-4o');
  });
});
