/**
 * The profile's routing fields (issue 13): mock.prefixCache, strategy, pricing, contextWindow, escalate — parsed,
 * cross-checked and accepted.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import type { KeyPath } from '../../../src/profile/problems.js';
import { checkStrategyTargets } from '../../../src/profile/routing-checks.js';
import { ProfileSchema } from '../../../src/profile/schema.js';

const profile = (models: string, mock = '') => `version: 1
backends:
  a: { url: "http://127.0.0.1:8001"${mock} }
  b: { url: "http://127.0.0.1:8002" }
models:
${models}
`;
const messages = (text: string) => {
  const r = parseProfile(text, 'p.yaml', {});
  return r.ok ? r.warnings.map((w) => `${w.path}: ${w.message}`) : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('mock.prefixCache', () => {
  it('is accepted now, with its documented defaults', () => {
    const r = parseProfile(profile('  m: { targets: [{ backend: a }] }', ', mock: { kind: vllm, prefixCache: {} }'), 'p.yaml', {});
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.profile.backends.a!.mock!.prefixCache).toEqual({ blocks: 4096, blockTokens: 16, prefillPerToken: 0.1 });
  });

  it('reads durations and refuses sizes that would not fit in memory', () => {
    const ok = parseProfile(
      profile('  m: { targets: [{ backend: a }] }', ', mock: { kind: vllm, prefixCache: { blocks: 100, prefillPerToken: 250us } }'),
      'p.yaml',
      {},
    );
    expect(ok.ok && ok.profile.backends.a!.mock!.prefixCache).toEqual({ blocks: 100, blockTokens: 16, prefillPerToken: 0.25 });
    expect(messages(profile('  m: { targets: [{ backend: a }] }', ', mock: { kind: vllm, prefixCache: { blocks: 99999999 } }'))).toEqual([
      'backends.a.mock.prefixCache.blocks: Too big: expected number to be <=1048576',
    ]);
  });
});

describe('routing fields are accepted now that the plan uses them', () => {
  const cases: [string, string][] = [
    ['a strategy', '  m: { strategy: prefix, targets: [{ backend: a }, { backend: b }] }'],
    ['a context window', '  m: { targets: [{ backend: a, contextWindow: 8192 }] }'],
    ['pricing', '  m: { targets: [{ backend: a, pricing: { input: 0.5, cachedInput: 0.25, output: 1.5 } }] }'],
    [
      'escalate',
      '  m: { targets: [{ backend: a }], escalate: [{ when: { promptTokens: ">2000" }, model: n }] }\n  n: { targets: [{ backend: b }] }',
    ],
  ];
  it.each(cases)('%s', (_name, models) => {
    const r = parseProfile(profile(models), 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([]);
  });
});

describe('cross-checks', () => {
  const cases: [string, string, string[]][] = [
    [
      'a bound that is not a comparison',
      '  m: { targets: [{ backend: a }], escalate: [{ when: { promptTokens: "2000" }, model: m }] }',
      ['models.m.escalate[0].when.promptTokens: expected a comparison such as ">2000" or "<=500", got "2000"'],
    ],
    [
      'an unknown escalation model',
      '  m: { targets: [{ backend: a }], escalate: [{ when: { promptTokens: ">1" }, model: bigg }] }\n  big: { targets: [{ backend: b }] }',
      ['models.m.escalate[0].model: unknown model "bigg" (did you mean "big"?); known models: m, big'],
    ],
    [
      'escalating to itself',
      '  m: { targets: [{ backend: a }], escalate: [{ when: { promptTokens: ">1" }, model: m }] }',
      ['models.m.escalate[0].model: "m" cannot escalate to itself'],
    ],
    [
      'a price past a dollar a token',
      '  m: { targets: [{ backend: a, pricing: { input: 1e308, cachedInput: 2000000, output: 1 } }] }',
      [
        'models.m.targets[0].pricing.input: Too big: expected number to be <=1000000',
        'models.m.targets[0].pricing.cachedInput: Too big: expected number to be <=1000000',
      ],
    ],
    [
      // Summed by the rotation, two of 1e308 made Infinity and its state NaN: every request to the first target.
      'weights whose sum is past any number',
      '  m: { targets: [{ backend: a, weight: 1e308 }, { backend: b, weight: 1e308 }] }',
      [
        'models.m.targets[0].weight: Too big: expected number to be <=2147483647',
        'models.m.targets[1].weight: Too big: expected number to be <=2147483647',
      ],
    ],
    [
      'cost without any pricing',
      '  m: { strategy: cost, targets: [{ backend: a }, { backend: b }] }',
      ['models.m.targets: strategy cost compares prices: give these targets pricing { input, output } (USD per million tokens)'],
    ],
  ];
  it.each(cases)('%s', (_name, models, want) => {
    expect(messages(profile(models)).sort()).toEqual(want.sort());
  });
});

describe('money is bounded', () => {
  it('refuses a budget past a trillion dollars a window (1e308 is none at all)', () => {
    const text = `${profile('  m: { targets: [{ backend: a }] }')}tenants:\n  t: { keys: [k], limits: { budget: { usd: 1e308, per: 24h } } }\n`;
    expect(messages(text)).toEqual(['tenants.t.limits.budget.usd: Too big: expected number to be <=1000000000000']);
  });
});

describe('warnings about strategies that would do nothing', () => {
  const targetsOf = (yaml: string) => ProfileSchema.parse({ version: 1, backends: {}, models: { m: JSON.parse(yaml) } }).models.m!.targets;
  const warn = (strategy: string, yaml: string) => {
    const out: string[] = [];
    checkStrategyTargets(strategy, ['models', 'm', 'targets'], targetsOf(yaml), (_s, path: KeyPath, message) =>
      out.push(`${path.join('.')}: ${message}`),
    );
    return out;
  };
  const cases: [string, string, string, string[]][] = [
    ['weighted never warns', 'weighted', '{"targets":[{"backend":"a","weight":3},{"backend":"b"}]}', []],
    [
      'no two targets share a weight',
      'least-request',
      '{"targets":[{"backend":"a","weight":3},{"backend":"b"}]}',
      [
        'models.m.targets: strategy least-request chooses among targets of equal weight, and no two of these share one: ' +
          'they are split by weight only',
      ],
    ],
    ['replicas plus a canary are fine', 'prefix', '{"targets":[{"backend":"a"},{"backend":"b"},{"backend":"c","weight":0.1}]}', []],
    [
      'an unpriced target next to priced ones',
      'cost',
      '{"targets":[{"backend":"a","pricing":{"input":1,"output":2}},{"backend":"b"}]}',
      ['models.m.targets.1: no pricing: strategy cost chooses this target only when no priced one fits'],
    ],
    [
      'cached input dearer than input',
      'weighted',
      '{"targets":[{"backend":"a","pricing":{"input":1,"cachedInput":2,"output":2}}]}',
      ['models.m.targets.0.pricing.cachedInput: cached input is priced above uncached input'],
    ],
  ];
  it.each(cases)('%s', (_name, strategy, yaml, want) => {
    expect(warn(strategy, yaml)).toEqual(want);
  });
});

describe('header names in match rules and sticky', () => {
  it('are names a request can carry: one with a space, a colon or non-ASCII is a problem (its rule never matched)', () => {
    const rule = (h: string) =>
      `  m:\n    targets: [{ backend: a }]\n    match: [{ when: { headers: { ${JSON.stringify(h)}: "1" } }, targets: [{ backend: b }] }]`;
    for (const bad of ['x env', 'x-env:', 'x-énv', ''])
      expect(messages(profile(rule(bad))), bad).toEqual([
        `models.m.match[0].when.headers.${bad}: expected a header name (letters, digits and !#$%&'*+.^_\`|~-), got ${JSON.stringify(bad)}`,
      ]);
    expect(messages(profile(rule('X-Env')))).toEqual([]);
    expect(messages(profile('  m: { targets: [{ backend: a }, { backend: b }], sticky: { header: "x session" } }'))).toEqual([
      `models.m.sticky.header: expected a header name (letters, digits and !#$%&'*+.^_\`|~-), got "x session"`,
    ]);
  });
});
