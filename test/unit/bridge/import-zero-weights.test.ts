/**
 * Backend weights that sum to 0 in a priority of a rule — the way a backend is drained, all of a priority at once. The
 * cluster takes such a route: Envoy sends nothing to weight 0, so a drained priority 0 spills to the next priority, and
 * a rule whose every priority is drained answers no request. The import wrote the drained group as the model's targets
 * (or a `M:priority-N` fallback), which the profile refuses ("the weights of these targets sum to 0"): the whole import
 * failed — `aigw serve -c MANIFESTS` could not start for a configuration the cluster serves. Such a group is left out
 * now, said, and the next priority routes the model, as Envoy routes it.
 */
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { backend, docs, imported, write } from './manifests.js';

const route = (refs: string, more = '') => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]
      backendRefs: ${refs}${more}`;

const models = (r: ReturnType<typeof imported>) =>
  r.profile.models as Record<string, { targets: { backend: string; weight: number }[]; fallbacks?: string[] }>;

describe('a priority whose weights sum to 0', () => {
  it('priority 0 drained: the model is routed by priority 1, as Envoy spills over; said; the manifests load', async () => {
    const text = docs(route('[{name: b1, weight: 0}, {name: b2, priority: 1}]'), backend('b1'), backend('b2'));
    const loaded = await loadProfileOrManifests(write('drained.yaml', text), {});
    expect(loaded.ok ? [] : loaded.problems.map(formatProblem)).toEqual([]);
    const r = imported(text);
    expect(r.problems).toEqual([]);
    expect(models(r).m1!.targets).toEqual([{ backend: 'b2', weight: 1 }]);
    expect(models(r).m1!.fallbacks ?? []).toEqual([]);
    expect(r.said).toMatch(/backendRefs\[0\]: the weights of priority 0 sum to 0.*not imported/);
  });

  it('a drained fallback priority: no fallback to it; said', () => {
    const r = imported(docs(route('[{name: b1}, {name: b2, weight: 0, priority: 1}]'), backend('b1'), backend('b2')));
    expect(r.problems).toEqual([]);
    expect(models(r).m1!.targets).toEqual([{ backend: 'b1', weight: 1 }]);
    expect(models(r).m1!.fallbacks ?? []).toEqual([]);
    expect(Object.keys(models(r))).toEqual(['m1']);
    expect(r.said).toMatch(/backendRefs\[1\]: the weights of priority 1 sum to 0.*not imported/);
  });

  it('every priority drained: the model is not imported (the cluster serves it nothing), the others are', () => {
    const r = imported(
      docs(
        route(
          '[{name: b1, weight: 0}]',
          `
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m2}]}]
      backendRefs: [{name: b2}]`,
        ),
        backend('b1'),
        backend('b2'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(Object.keys(models(r))).toEqual(['m2']);
    expect(r.said).toMatch(/model m1: no backend left to route to/);
  });
});
