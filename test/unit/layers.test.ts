/** The layering rule (docs/architecture.md) holds for the tree, and the checker really catches what it forbids. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { checkLayers, violation } from '../../scripts/check-layers.mjs';

const check = checkLayers as (files: Map<string, string>) => string[];
const why = violation as (from: string, to: string) => string | undefined;

describe('the layering check', () => {
  it.each([
    [
      'an upward import (relay → gateway)',
      'relay/exchange.ts',
      "import type { RequestContext } from '../gateway/request-context.js';",
      /upward/,
    ],
    ['a sideways import (routing → relay)', 'routing/plan.ts', "import { Exchange } from '../relay/exchange.js';", /sideways/],
    [
      'a stranger importing the gateway side (bench → gateway)',
      'bench/run.ts',
      "import { Runtime } from '../gateway/runtime.js';",
      /stranger/,
    ],
    [
      'the gateway importing a stranger (gateway → mock)',
      'gateway/handle.ts',
      "import { startMock } from '../mock/server.js';",
      /stranger/,
    ],
    ['a dynamic import upward (core → cli)', 'core/x.ts', "const m = await import('../cli/run.js');", /upward/],
  ])('catches %s', (_name, file, text, expected) => {
    const problems = check(new Map([[file, text]]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('catches a cycle between folders', () => {
    const problems = check(
      new Map([
        ['routing/a.ts', "import { x } from '../upstream/b.js';"],
        ['upstream/b.ts', "import { y } from '../routing/a.js';"],
      ]),
    );
    expect(problems.some((p) => p.includes('import cycle between folders'))).toBe(true);
  });

  it.each([
    ['down the list (gateway → relay)', 'gateway/handle.ts', 'relay/exchange.ts'],
    ['within a folder', 'relay/exchange.ts', 'relay/downstream.ts'],
    ['the cli anywhere', 'cli/serve.ts', 'mock/server.ts'],
    ['the bench to its leaves', 'bench/long.ts', 'mock/text.ts'],
    ['the tui to the wire leaf', 'tui/admin-client.ts', 'openai/sse.ts'],
  ])('allows %s', (_name, from, to) => {
    expect(why(from, to)).toBeUndefined();
  });

  it('refuses the bench importing the rest of the mocks', () => {
    expect(why('bench/x.ts', 'mock/server.ts')).toMatch(/stranger/);
  });
});
