/** The HTML report from a --json document: self-contained, every label escaped, malformed parts left out. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/bench/html-report.js';
import { type BenchReport, compare, parseReport } from '../../../src/bench/report.js';

const env: BenchReport['env'] = {
  node: 'v20',
  platform: 'linux-x64',
  cpus: 2,
  cpuModel: 'cpu',
  target: 'http://127.0.0.1:1',
  model: 'm',
  startedAt: '2026-01-01T00:00:00Z',
  durationMs: 1000,
  connections: 4,
};

const hostile = '<script>alert(1)</script>';

const report = (scenarios: BenchReport['scenarios'], figures: BenchReport['figures'] = {}): BenchReport => ({
  version: 1,
  env,
  scenarios,
  figures,
  assertions: [{ expr: 'p99<1ms', ok: false, actual: 5, message: 'FAIL p99<1ms (measured 5)' }],
});

describe('renderHtml', () => {
  it('draws each kind of chart, and escapes names that come from the target', () => {
    const page = renderHtml(
      report({
        stream: { figures: {}, lines: ['stream ok'], detail: { samples: { ttft: [1, 2, 3], itl: [0.5, 1], e2el: [10, 20] } } },
        split: { figures: {}, lines: [], detail: { counts: { [hostile]: 90, b: 10 }, expected: { [hostile]: 95, b: 5 } } },
        ratelimit: { figures: {}, lines: [], detail: { limit: 100, windowMs: 2000, perWindow: [90, 120] } },
        long: { figures: {}, lines: [], detail: [{ size: '1MiB', mode: 'body', kind: 'truncated', outcome: 'x', bytes: 1 }] },
        ramp: {
          figures: {},
          lines: [],
          detail: {
            steps: [
              { rate: 4, goodput: 4 },
              { rate: 8, goodput: 5 },
            ],
          },
        },
      }),
    );
    for (const id of ['cdf-stream', 'hist-ttft-stream', 'hist-itl-stream', 'split', 'ratelimit', 'long', 'ramp'])
      expect(page).toContain(`data-chart="${id}"`);
    expect(page).not.toContain('<script');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('FAIL p99&lt;1ms');
  });

  it('adds the deltas against a baseline', () => {
    const page = renderHtml(report({}, { 'ttft.p50': 30 }), report({}, { 'ttft.p50': 10 }));
    expect(page).toContain('data-chart="compare"');
    expect(page).toMatch(/1 regression beyond 10%/);
  });

  it('counts a figure the baseline measured and this run of its scenario did not as a regression, as --compare does', () => {
    const scenario = { ratelimit: { figures: {}, lines: [] } };
    const before = report(scenario, { 'ratelimit.ratio': 0.9 });
    const after = report(scenario, { 'ratelimit.ratio': null });
    expect(compare(before, after).regressions).toBe(1);
    const page = renderHtml(after, before);
    expect(page).toMatch(/1 regression beyond 10%/);
    expect(page).toMatch(/not measured in this run: ratelimit\.ratio/);
  });

  it('shows only text lines: an object with a crafted toString is dropped, not called', () => {
    const lines = ['kept', { toString: {} }, { toString: () => 'called' }] as unknown as string[];
    const page = renderHtml(report({ s: { figures: {}, lines } }));
    expect(page).toContain('<pre>kept</pre>');
    expect(page).not.toContain('called');
  });

  it('is written for a report file of any length: a chart past its points is left out, not drawn into a stack overflow', () => {
    const many = Array.from({ length: 300_000 }, (_, i) => i % 97);
    const page = renderHtml(
      report({
        stream: { figures: {}, lines: ['stream ok'], detail: { samples: { ttft: many } } },
        ratelimit: { figures: {}, lines: [], detail: { limit: 100, windowMs: 2000, perWindow: many } },
      }),
    );
    expect(page).toContain('stream ok');
    expect(page).not.toContain('cdf-stream');
  });

  it('never throws on a malformed report file (it is input too)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string(),
          fc.record({ figures: fc.constant({}), lines: fc.anything(), detail: fc.anything(), metrics: fc.anything() }),
        ),
        (s) => {
          expect(() => renderHtml(report(s as BenchReport['scenarios']))).not.toThrow();
        },
      ),
    );
  });
});

describe('renderHtml from a report file at the edges of its numbers', () => {
  it('draws a histogram whose samples are a few doubles apart far from 0 (its ticks looped until the heap gave out)', () => {
    const lo = 1e17;
    const next = lo + 16;
    const page = renderHtml(report({ stream: { figures: {}, lines: ['edge'], detail: { samples: { ttft: [lo, next, next] } } } }));
    expect(page).toContain('data-chart="hist-ttft-stream"');
    expect(page.length).toBeLessThan(200_000);
  });

  it('leaves out an outcome grid of millions of cells (2,000 rows of their own size and mode)', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ size: `s${i}`, mode: `m${i}`, kind: 'complete' }));
    const t0 = performance.now();
    const page = renderHtml(report({ long: { figures: {}, lines: ['long ok'], detail: rows } }));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(page).toContain('long ok');
    expect(page).not.toContain('data-chart="long"');
  });

  it('still draws a grid of many rows in few cells, each cell its first row', () => {
    const rows = [
      ...Array.from({ length: 5000 }, () => ({ size: '1Mi', mode: 'body', kind: 'truncated' })),
      { size: '1Mi', mode: 'stream', kind: 'constructor' },
    ];
    const page = renderHtml(
      report({ long: { figures: {}, lines: [], detail: [{ size: '1Mi', mode: 'body', kind: 'complete' }, ...rows] } }),
    );
    expect(page).toContain('data-chart="long"');
    expect(page).toContain('1Mi body: complete');
    expect(page).not.toContain('function');
  });
});

describe('parseReport (--compare input)', () => {
  it.each([
    ['not JSON', '{', /not JSON/],
    ['another document', '{"version":2}', /not an aigw bench --json report: version/],
    ['lines that are not text', JSON.stringify({ ...report({}), scenarios: { s: { figures: {}, lines: [1] } } }), /scenarios\.s\.lines\.0/],
    // The page shows these: an object whose toString is no function threw as it was drawn, and no page was written.
    ['a cpu count that is an object', JSON.stringify({ ...report({}), env: { ...env, cpus: { toString: 1 } } }), /env\.cpus/],
    ['a rate that is an object', JSON.stringify({ ...report({}), env: { ...env, rate: { toString: 1, valueOf: 1 } } }), /env\.rate/],
    ['a duration that is an object', JSON.stringify({ ...report({}), env: { ...env, durationMs: { valueOf: 1 } } }), /env\.durationMs/],
    ['a workload that is an object', JSON.stringify({ ...report({}), env: { ...env, workload: { toString: 1 } } }), /env\.workload/],
  ])('refuses %s', (_name, text, message) => {
    const r = parseReport(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('reads back what the bench wrote', () => expect(parseReport(JSON.stringify(report({}))).ok).toBe(true));

  it('reads back a report whose figures were not numbers (null where JSON has no NaN), and draws it', () => {
    const text = JSON.stringify({ ...report({}), env: { ...env, durationMs: null, rate: null, workload: null, slo: null } });
    const r = parseReport(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(() => renderHtml(r.value, r.value)).not.toThrow();
  });
});
