/**
 * A match naming one header twice (header names are case-insensitive, so `x-ai-eg-model` and `X-AI-EG-Model` are one
 * name the API server lets through twice): Envoy Gateway turns every entry into a header matcher of the same route,
 * and Envoy requires all of them. The import read the last entry alone, so a match the cluster never meets (model m1
 * and m2 at once) routed m2 — a model the cluster does not send to these backends at all.
 */
import { describe, expect, it } from 'vitest';
import { BASE, imported } from './manifests.js';

const MATCH = '[{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]';
const withHeaders = (headers: string) => BASE.replace(MATCH, `[{headers: [${headers}]}]`);

describe('a header named twice in one match', () => {
  it('the model header with two exact values: no request meets it, nothing is routed, said', () => {
    const r = imported(withHeaders('{type: Exact, name: x-ai-eg-model, value: m1}, {type: Exact, name: X-AI-EG-Model, value: m2}'));
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.models as object)).toEqual([]);
    expect(r.said).toMatch(/spec.rules\[0\].matches\[0\].headers\[1\]: .*x-ai-eg-model.*no request meets this match/);
  });

  it('an exact model and a regular expression naming it and another: only the name both admit', () => {
    const r = imported(
      withHeaders('{type: Exact, name: x-ai-eg-model, value: m1}, {type: RegularExpression, name: x-ai-eg-model, value: "^(m1|m2)$"}'),
    );
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.models as object)).toEqual(['m1']);
  });

  it('another header with two exact values: the match is not imported (not the later value alone)', () => {
    const r = imported(
      withHeaders(
        '{type: Exact, name: x-ai-eg-model, value: m1}, {type: Exact, name: x-tier, value: gold}, {type: Exact, name: X-Tier, value: silver}',
      ),
    );
    expect(r.problems).toEqual([]);
    expect(JSON.stringify(r.profile.models)).not.toContain('silver');
    expect(r.said).toMatch(/headers\[2\]: .*x-tier.*no request meets this match/);
  });

  it('the same exact value twice is one condition: imported as it was', () => {
    const r = imported(withHeaders('{type: Exact, name: x-ai-eg-model, value: m1}, {type: Exact, name: X-AI-EG-Model, value: m1}'));
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.models as object)).toEqual(['m1']);
    expect(r.said).not.toMatch(/no request meets/);
  });
});
