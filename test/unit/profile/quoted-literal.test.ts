/**
 * A setting that takes one number written quoted — `version: "1"` (CLI review): the problem ended "(did you mean
 * "1"?)", the very text written, leaving the user to guess. It says to write it without quotes now.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

describe('a number written quoted where the profile takes that number', () => {
  it('is told to write it without quotes', () => {
    const r = parseProfile('version: "1"\nbackends: {}\nmodels: {}\n', 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([
      'p.yaml:1:10: error: version: expected 1, got string "1" (write it without quotes: 1)',
    ]);
  });

  it('a near miss is still suggested', () => {
    const r = parseProfile('version: 1\nbackends: { a: { url: "http://127.0.0.1:1", kind: opnai } }\nmodels: {}\n', 'p.yaml', {});
    expect(r.ok ? '' : r.problems.map(formatProblem).join('\n')).toContain('(did you mean "openai"?)');
  });
});
