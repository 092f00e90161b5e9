/**
 * A long value the import quotes: a problem or a warning quoted a manifest's value whole — a 4 MB header value holding
 * a `${VAR}` (refused: an error), a 4 MB weight, duration, request-buffer limit or model regex (warnings). Under
 * `aigw serve -c MANIFESTS` each refused reload kept that message in its event and wrote it to stderr, as the
 * profile's own problems did before they were cut (35f2533). Quoted values are cut after 100 characters now.
 */
import { describe, expect, it } from 'vitest';
import { BASE, docs, imported } from './manifests.js';

const LONG = 'x'.repeat(4 * 1024 * 1024);

const longest = (r: ReturnType<typeof imported>) => Math.max(...[...r.problems, ...r.warnings].map((p) => p.message.length));

describe('a long value in a message is cut', () => {
  it('a header value holding ${VAR}: refused, the value quoted in 100 characters', () => {
    const asb = BASE.replace(
      'schema: {name: OpenAI}',
      `schema: {name: OpenAI}\n  headerMutation: {set: [{name: x-note, value: "\${NOTE}${LONG}"}]}`,
    );
    const r = imported(asb);
    expect(r.problems.length).toBe(1);
    expect(r.problems[0]!.message).toMatch(/^"\$\{NOTE\}x{93}…": Envoy sends \$\{NOTE\} as written/);
    expect(longest(r)).toBeLessThan(1000);
  });

  it('a weight, a model regex, a duration and a request-buffer limit: warnings of bounded length', () => {
    const route = BASE.replace(
      'backendRefs: [{name: b1}]',
      `backendRefs: [{name: b1, weight: "${LONG}"}]\n      timeouts: {request: "${LONG}"}`,
    ).replace('value: m1}]}]', `value: m1}]}, {headers: [{type: RegularExpression, name: x-ai-eg-model, value: "(${LONG}"}]}]`);
    const btp = `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: t}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n  requestBuffer: {limit: "${LONG}"}\n`;
    const r = imported(docs(route, btp));
    expect(r.problems).toEqual([]);
    const said = r.warnings.map((w) => w.message);
    for (const what of [/is not a whole number/, /is not a Gateway API duration/, /is not a quantity/, /aigw routes exact model names/])
      expect(
        said.some((m) => what.test(m)),
        String(what),
      ).toBe(true);
    expect(longest(r)).toBeLessThan(1000);
  });
});
