/**
 * A load parses the profile's text once, and reads the document twice: as written (`${VAR}` as text: export names
 * Secrets' variables from it) and filled in from the environment. It parsed the text for each — and `--mock-all` a
 * third time for the positions its problems are moved to — each parse seconds on a large profile, at every start (and,
 * with `--mock-all`, at every reload). Where a key stands does not depend on what its value is filled in with.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const parsed: string[] = [];
vi.mock('yaml', async (importOriginal) => {
  const yaml = await importOriginal<typeof import('yaml')>();
  return {
    ...yaml,
    parseDocument: (...args: Parameters<typeof yaml.parseDocument>) => {
      parsed.push(args[0]);
      return yaml.parseDocument(...args);
    },
  };
});

const { loadProfileOrManifests } = await import('../../../src/bridge/load.js');

const FILE = 'fixtures/profiles/mocks-port0.yaml';
const text = readFileSync(FILE, 'utf8');

describe("a profile's load", () => {
  it.each([
    ['as serve, validate and export load it (the values as written too)', {}],
    ['with --mock-all', { mockAll: true }],
  ])('%s parses its text once', async (_name, opts) => {
    parsed.length = 0;
    const r = await loadProfileOrManifests(FILE, {}, opts);
    expect(r.ok).toBe(true);
    expect(parsed.filter((t) => t === text)).toHaveLength(1);
  });
});
