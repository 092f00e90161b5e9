/**
 * Every class of profile problem, from fixtures/profiles: each YAML file has a golden `.expected` beside it
 * with exactly what `aigw validate` prints (file:line:col, severity, key path, expectation).
 * UPDATE_GOLDEN=1 rewrites the golden files; review the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const env = { ACME_KEY: undefined, GLOBEX_KEY: undefined };

function render(dir: string, name: string): string {
  const file = `fixtures/profiles/${dir}/${name}`;
  const r = parseProfile(readFileSync(file, 'utf8'), file, env);
  return `${(r.ok ? r.warnings : r.problems).map(formatProblem).join('\n')}\n`;
}

for (const dir of ['errors', 'warnings']) {
  describe(`profile ${dir} (golden)`, () => {
    for (const name of readdirSync(`fixtures/profiles/${dir}`).filter((f) => f.endsWith('.yaml'))) {
      it(name, () => {
        const golden = `fixtures/profiles/${dir}/${name.replace(/\.yaml$/, '.expected')}`;
        const out = render(dir, name);
        if (process.env.UPDATE_GOLDEN || !existsSync(golden)) writeFileSync(golden, out);
        expect(out).toBe(readFileSync(golden, 'utf8'));
        const file = `fixtures/profiles/${dir}/${name}`;
        const ok = parseProfile(readFileSync(file, 'utf8'), file, env).ok;
        expect(ok).toBe(dir === 'warnings');
      });
    }
  });
}

/** The same facts, spelled out: position, key path and the expectation for one case per class. */
const CASES: { name: string; file: string; line: number; col: number; path: string; says: RegExp }[] = [
  { name: 'YAML syntax', file: 'errors/yaml-syntax.yaml', line: 4, col: 1, path: '', says: /Flow map/ },
  { name: 'duplicate key', file: 'errors/duplicate-key.yaml', line: 7, col: 3, path: '', says: /unique/ },
  {
    name: 'unknown key with a near miss',
    file: 'errors/unknown-key.yaml',
    line: 8,
    col: 29,
    path: 'models.m.targets[0].wieght',
    says: /did you mean "weight"/,
  },
  {
    name: 'wrong type',
    file: 'errors/wrong-type.yaml',
    line: 6,
    col: 14,
    path: 'models.m.targets',
    says: /expected a list, got a mapping/,
  },
  {
    name: 'enum value with a near miss',
    file: 'errors/bad-enum.yaml',
    line: 4,
    col: 11,
    path: 'limits.responseBuffer.mode',
    says: /did you mean "buffered"/,
  },
  { name: 'size', file: 'errors/bad-size-duration.yaml', line: 3, col: 20, path: 'limits.maxRequestBytes', says: /expected a size/ },
  { name: 'duration', file: 'errors/bad-size-duration.yaml', line: 5, col: 9, path: 'timeouts.idle', says: /expected a duration/ },
  { name: 'missing key', file: 'errors/missing-key.yaml', line: 3, col: 3, path: 'backends.a.url', says: /missing required key "url"/ },
  {
    name: 'missing environment variable',
    file: 'errors/missing-env.yaml',
    line: 5,
    col: 13,
    path: 'backends.a.apiKey',
    says: /AIGW_TEST_SURELY_UNSET_KEY is not set/,
  },
  {
    name: 'unknown backend',
    file: 'errors/unknown-backend.yaml',
    line: 9,
    col: 20,
    path: 'models.llama-3-70b.targets[1].backend',
    says: /did you mean "vllm-llama-v2".*known backends: vllm-llama-v1, vllm-llama-v2/,
  },
  {
    name: 'unknown fallback',
    file: 'errors/unknown-fallback.yaml',
    line: 7,
    col: 17,
    path: 'models.llama-3-70b.fallbacks[0]',
    says: /did you mean "qwen-2.5-72b"/,
  },
  { name: 'fallback cycle', file: 'errors/fallback-cycle.yaml', line: 7, col: 16, path: 'models.x.fallbacks', says: /x → y → z → x/ },
  { name: 'weights sum to 0', file: 'errors/zero-weights.yaml', line: 8, col: 7, path: 'models.m.targets', says: /sum to 0/ },
  { name: 'metadata URL', file: 'errors/bad-urls.yaml', line: 3, col: 16, path: 'backends.meta.url', says: /link-local/ },
  {
    name: 'unknown tenant in match',
    file: 'errors/tenant-references.yaml',
    line: 8,
    col: 25,
    path: 'models.m.match[0].when.tenant',
    says: /did you mean "acme"/,
  },
  { name: 'negative limit', file: 'errors/negative-limit.yaml', line: 9, col: 20, path: 'tenants.acme.limits.tpm', says: />=0/ },
  { name: 'version', file: 'errors/bad-listen-version.yaml', line: 1, col: 10, path: 'version', says: /expected 1/ },
  {
    name: 'weight 0 warning',
    file: 'warnings/settings-that-do-nothing.yaml',
    line: 16,
    col: 36,
    path: 'models.m.targets[1].weight',
    says: /never receives traffic/,
  },
  {
    name: 'idle shorter than the mock',
    file: 'warnings/settings-that-do-nothing.yaml',
    line: 7,
    col: 9,
    path: 'timeouts.idle',
    says: /shorter than backend "fast"/,
  },
  { name: 'model nobody can use', file: 'warnings/tenants.yaml', line: 6, col: 3, path: 'models.orphan', says: /no tenant may use/ },
];

describe('profile problems name line:col and key path', () => {
  it.each(CASES)('$name', ({ file, line, col, path, says }) => {
    const f = `fixtures/profiles/${file}`;
    const r = parseProfile(readFileSync(f, 'utf8'), f, env);
    const problems = r.ok ? r.warnings : r.problems;
    const hit = problems.find((p) => p.path === path && says.test(p.message));
    expect(hit, problems.map(formatProblem).join('\n')).toBeDefined();
    expect([hit!.line, hit!.col]).toEqual([line, col]);
    expect(hit!.file).toBe(f);
  });
});
